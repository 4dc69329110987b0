from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from mamori.assets.models import InformationSystem
from mamori.people.models import Department

from .services import MeasureInput


class MeasureForm(forms.Form):
    emergency = forms.BooleanField(
        label=_("Already taken in an emergency (reported afterwards)"),
        required=False,
        help_text=_("Only when the business could not wait for approval (7.4(2)); report it at once."),
    )
    acted_at = forms.DateTimeField(
        label=_("Taken at"), required=False, widget=forms.DateTimeInput(attrs={"type": "datetime-local"})
    )
    rule = forms.CharField(
        label=_("Rule not followed"), max_length=300, help_text=_("The article and what it requires.")
    )
    measure = forms.CharField(label=_("What is done instead"), widget=forms.Textarea(attrs={"rows": 3}))
    reason = forms.CharField(label=_("Reason"), widget=forms.Textarea(attrs={"rows": 3}))
    compensating = forms.CharField(label=_("Compensating measures"), widget=forms.Textarea(attrs={"rows": 3}))
    starts_on = forms.DateField(label=_("From"), widget=forms.DateInput(attrs={"type": "date"}))
    ends_on = forms.DateField(label=_("Until"), widget=forms.DateInput(attrs={"type": "date"}))
    department = forms.ModelChoiceField(
        label=_("Department"), queryset=Department.objects.none(), required=False
    )
    systems = forms.ModelMultipleChoiceField(
        label=_("Information systems concerned"),
        queryset=InformationSystem.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    def __init__(self, *args: Any, organization_id: int, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.fields["department"].queryset = Department.objects.filter(organization_id=organization_id)  # type: ignore[attr-defined]
        self.fields["systems"].queryset = InformationSystem.objects.filter(  # type: ignore[attr-defined]
            organization_id=organization_id, in_use=True
        ).order_by("code")

    def measure_input(self) -> MeasureInput:
        d = self.cleaned_data
        return MeasureInput(
            rule=d["rule"],
            measure=d["measure"],
            reason=d["reason"],
            compensating=d["compensating"],
            starts_on=d["starts_on"],
            ends_on=d["ends_on"],
            department=d["department"],
            systems=list(d["systems"]),
            emergency=d["emergency"],
            acted_at=d["acted_at"],
        )


class DecisionForm(forms.Form):
    decision = forms.ChoiceField(
        label=_("Decision"),
        choices=[
            ("approve", pgettext_lazy("exception measure", "Approve")),
            ("reject", pgettext_lazy("exception measure", "Reject")),
        ],
        widget=forms.RadioSelect,
    )
    note = forms.CharField(
        label=_("Conditions or reason"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    version = forms.IntegerField(widget=forms.HiddenInput)


class EndForm(forms.Form):
    end_note = forms.CharField(
        label=_("How the rule is followed again"), widget=forms.Textarea(attrs={"rows": 2})
    )

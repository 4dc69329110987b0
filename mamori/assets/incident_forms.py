"""Forms of an incident's systems page: the affected systems, the cross-system checks, an answer."""

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from .models import CheckFinding, InformationSystem


class AffectedSystemsForm(forms.Form):
    systems = forms.ModelMultipleChoiceField(
        label=_("Affected systems"),
        queryset=InformationSystem.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    def __init__(self, *args: Any, organization_id: int, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.fields["systems"].queryset = InformationSystem.objects.filter(  # type: ignore[attr-defined]
            organization_id=organization_id, in_use=True
        ).order_by("code")


class CrossCheckForm(forms.Form):
    kinds = forms.MultipleChoiceField(
        label=_("Check the systems that share"),
        choices=[("software", _("software")), ("vendor", _("vendor")), ("segment", _("network segment"))],
        widget=forms.CheckboxSelectMultiple,
        initial=["software", "vendor"],
    )
    due_at = forms.DateTimeField(
        label=_("Answer by"), required=False, widget=forms.DateTimeInput(attrs={"type": "datetime-local"})
    )
    version = forms.IntegerField(widget=forms.HiddenInput)


class AnswerForm(forms.Form):
    finding = forms.ChoiceField(
        label=_("Finding"),
        choices=[
            (CheckFinding.NOT_AFFECTED, CheckFinding.NOT_AFFECTED.label),
            (CheckFinding.AFFECTED, CheckFinding.AFFECTED.label),
        ],
        widget=forms.RadioSelect,
    )
    result = forms.CharField(label=_("What you checked and found"), widget=forms.Textarea(attrs={"rows": 3}))

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from mamori.assets.models import InformationSystem
from mamori.people.fields import PersonField
from mamori.people.models import Department
from mamori.policy.schema_registers import AuditSpec

from .models import ItemResult


class PlanForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=200)
    scope = forms.CharField(label=_("Scope and method"), widget=forms.Textarea(attrs={"rows": 6}))


class ApprovalForm(forms.Form):
    approved_on = forms.DateField(label=_("Approved on"), widget=forms.DateInput(attrs={"type": "date"}))
    reference = forms.CharField(label=_("Minutes or record"), max_length=200, required=False)


class ScheduleForm(forms.Form):
    department = forms.ModelChoiceField(label=_("Audited department"), queryset=Department.objects.none())
    auditor = PersonField(label=_("Auditor"))
    scheduled_on = forms.DateField(label=_("Scheduled on"), widget=forms.DateInput(attrs={"type": "date"}))

    def __init__(self, *args: Any, organization_id: int, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.fields["department"].queryset = Department.objects.filter(organization_id=organization_id)  # type: ignore[attr-defined]
        self.fields["auditor"].organization_id = organization_id  # type: ignore[attr-defined]


class ChecklistForm(forms.Form):
    """One result per checklist item of the policy, with a note."""

    done_on = forms.DateField(label=_("Done on"), widget=forms.DateInput(attrs={"type": "date"}))

    def __init__(self, *args: Any, spec: AuditSpec, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.spec = spec
        for item in spec.checklist:
            self.fields[f"item_{item.key}"] = forms.ChoiceField(
                label=item.text, choices=ItemResult.choices, widget=forms.RadioSelect
            )
            self.fields[f"note_{item.key}"] = forms.CharField(label=_("Note"), required=False)

    def results(self) -> list[dict[str, str]]:
        return [
            {
                "key": item.key,
                "result": self.cleaned_data[f"item_{item.key}"],
                "note": self.cleaned_data[f"note_{item.key}"],
            }
            for item in self.spec.checklist
        ]


class AuditRecordForm(ChecklistForm):
    summary = forms.CharField(label=_("Summary"), required=False, widget=forms.Textarea(attrs={"rows": 3}))


class InspectionForm(ChecklistForm):
    department = forms.ModelChoiceField(
        label=_("Department"), queryset=Department.objects.none(), required=False
    )
    system = forms.ModelChoiceField(
        label=_("Information system"), queryset=InformationSystem.objects.none(), required=False
    )
    improvements = forms.CharField(
        label=_("Improvements"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )

    def __init__(self, *args: Any, organization_id: int, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.fields["department"].queryset = Department.objects.filter(organization_id=organization_id)  # type: ignore[attr-defined]
        systems = InformationSystem.objects.filter(organization_id=organization_id, in_use=True)
        self.fields["system"].queryset = systems  # type: ignore[attr-defined]


class FindingForm(forms.Form):
    text = forms.CharField(label=_("Finding"), widget=forms.Textarea(attrs={"rows": 3}))
    item = forms.ChoiceField(label=_("Checklist item"), required=False)
    due_on = forms.DateField(
        label=_("Improve by"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )

    def __init__(self, *args: Any, spec: AuditSpec, **kwargs: Any):
        super().__init__(*args, **kwargs)
        choices = [("", "—"), *((i.key, i.text) for i in spec.checklist)]
        self.fields["item"].choices = choices  # type: ignore[attr-defined]


class ImprovementForm(forms.Form):
    plan = forms.CharField(label=_("Improvement plan"), widget=forms.Textarea(attrs={"rows": 3}))
    due_on = forms.DateField(
        label=_("Improve by"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )


class ProgressForm(forms.Form):
    text = forms.CharField(label=_("Progress"), widget=forms.Textarea(attrs={"rows": 2}))
    completed = forms.BooleanField(label=_("The improvement is complete"), required=False)


class SpreadForm(forms.Form):
    departments = forms.ModelMultipleChoiceField(
        label=_("Have these departments check for the same problem"),
        queryset=Department.objects.none(),
        widget=forms.CheckboxSelectMultiple,
    )

    def __init__(self, *args: Any, organization_id: int, exclude: int, **kwargs: Any):
        super().__init__(*args, **kwargs)
        others = Department.objects.filter(organization_id=organization_id).exclude(pk=exclude)
        self.fields["departments"].queryset = others  # type: ignore[attr-defined]


class SpreadAnswerForm(forms.Form):
    present = forms.TypedChoiceField(
        label=_("Is the same problem present here?"),
        choices=[("1", _("Yes, it is present")), ("0", _("No, it is not"))],
        coerce=lambda v: v == "1",
        widget=forms.RadioSelect,
    )
    note = forms.CharField(label=_("What was checked"), widget=forms.Textarea(attrs={"rows": 2}))

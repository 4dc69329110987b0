from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from mamori.people.fields import PersonField
from mamori.policy.schema_registers import TrainingSpec

from .models import COURSE


class PlanForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=200)
    content = forms.CharField(
        label=_("Plan"),
        widget=forms.Textarea(attrs={"rows": 10}),
        help_text=_(
            "Courses by role and for new staff, exercises, the organisation that runs them (5.2(2)①〜③)."
        ),
    )


class ApprovalForm(forms.Form):
    approved_on = forms.DateField(label=_("Approved on"), widget=forms.DateInput(attrs={"type": "date"}))
    reference = forms.CharField(label=_("Minutes or record"), max_length=200, required=False)


class PeopleLinesField(forms.CharField):
    """Attendees, one per line, each as user ID, 職員番号 or name (people.fields.PersonField)."""

    widget = forms.Textarea(attrs={"rows": 6})

    def __init__(self, *, organization_id: int = 0, **kwargs: Any):
        super().__init__(**kwargs)
        self.organization_id = organization_id

    def clean(self, value: Any) -> Any:
        text = super().clean(value) or ""
        person = PersonField(organization_id=self.organization_id)
        people, problems = [], []
        for number, line in enumerate(text.splitlines(), start=1):
            if not line.strip():
                continue
            try:
                people.append(person.clean(line.strip()))
            except ValidationError as exc:
                problems.append(
                    _("Line %(n)s: %(problem)s") % {"n": number, "problem": " ".join(exc.messages)}
                )
        if problems:
            raise ValidationError(problems)
        return people


class SessionForm(forms.Form):
    kind = forms.ChoiceField(label=_("Kind"))
    title = forms.CharField(label=_("Title"), max_length=200)
    audience = forms.CharField(
        label=_("For whom"),
        max_length=200,
        required=False,
        help_text=_("e.g. all staff, new staff, system administrators"),
    )
    held_on = forms.DateField(label=_("Held on"), widget=forms.DateInput(attrs={"type": "date"}))
    minutes = forms.IntegerField(label=_("Length in minutes"), required=False, min_value=1, max_value=24 * 60)
    notes = forms.CharField(label=_("Notes"), required=False, widget=forms.Textarea(attrs={"rows": 3}))
    attendees = PeopleLinesField(
        label=_("Attendees"),
        required=False,
        help_text=_("One person per line: user ID, staff number or name."),
    )

    def __init__(self, *args: Any, spec: TrainingSpec, organization_id: int, **kwargs: Any):
        super().__init__(*args, **kwargs)
        kinds = [(COURSE, _("Training course")), *((e.key, e.label) for e in spec.exercises)]
        self.fields["kind"].choices = kinds  # type: ignore[attr-defined]
        self.fields["attendees"].organization_id = organization_id  # type: ignore[attr-defined]


class AttendanceForm(forms.Form):
    attendees = PeopleLinesField(
        label=_("Attendees"),
        required=False,
        help_text=_("One person per line: user ID, staff number or name."),
    )

    def __init__(self, *args: Any, organization_id: int, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.fields["attendees"].organization_id = organization_id  # type: ignore[attr-defined]


class DrillForm(forms.Form):
    scenario = forms.CharField(
        label=_("Scenario"),
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_(
            "What the drill report says happened. It is paged and handled like a real report, marked as a drill."
        ),
    )

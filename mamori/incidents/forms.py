"""Forms of the incident pages. They only parse input; the rules live in the services."""

from django import forms
from django.utils.translation import gettext_lazy as _

from mamori.people.fields import ROLE_HOLDERS, PersonField
from mamori.policy.schema import PolicyDocument

from .choices import CustodyEvent, Phase, PublicationDecision


class VersionedForm(forms.Form):
    """Carries the incident version the person saw (optimistic locking)."""

    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)


class DateTimeInput(forms.DateTimeInput):
    input_type = "datetime-local"

    def __init__(self, **kwargs):
        super().__init__(format="%Y-%m-%dT%H:%M", **kwargs)


def _policy_choices(items, value, label):
    return [("", "---------")] + [(getattr(i, value), getattr(i, label)) for i in items]


class TriageForm(VersionedForm):
    is_incident = forms.TypedChoiceField(
        label=_("Is it an incident?"),
        coerce=lambda v: v == "yes",
        widget=forms.RadioSelect,
        choices=[("yes", _("Yes: respond as an incident")), ("no", _("No: close as not an incident"))],
    )
    reason = forms.CharField(
        label=_("Reasoning (facts checked, why this decision)"),
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=20000,
    )
    title = forms.CharField(label=_("Title"), max_length=200, required=False)
    category = forms.ChoiceField(label=_("Category"), required=False)
    level = forms.TypedChoiceField(
        label=_("Level"), required=False, coerce=int, empty_value=None, widget=forms.RadioSelect
    )
    personal_data = forms.BooleanField(label=_("Personal data involved (or possibly)"), required=False)
    restricted = forms.BooleanField(label=_("Restricted (need-to-know)"), required=False)
    is_drill = forms.BooleanField(label=_("This is a drill"), required=False)

    def __init__(self, *args, policy: PolicyDocument, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["category"].choices = _policy_choices(policy.categories, "key", "label")  # type: ignore[attr-defined]
        self.fields["level"].choices = [(str(lv.value), f"{lv.label}: {lv.criteria}") for lv in policy.levels]  # type: ignore[attr-defined]


class LevelForm(VersionedForm):
    level = forms.TypedChoiceField(label=_("New level"), coerce=int)
    reason = forms.CharField(
        label=_("Reason for the change"), widget=forms.Textarea(attrs={"rows": 2}), max_length=20000
    )

    def __init__(self, *args, policy: PolicyDocument, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["level"].choices = [(str(lv.value), f"{lv.label}: {lv.criteria}") for lv in policy.levels]  # type: ignore[attr-defined]


class FlagsForm(VersionedForm):
    title = forms.CharField(label=_("Title"), max_length=200)
    affected_systems = forms.CharField(
        label=_("Affected systems"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        max_length=20000,
    )
    personal_data = forms.BooleanField(label=_("Personal data involved (or possibly)"), required=False)
    restricted = forms.BooleanField(label=_("Restricted (need-to-know)"), required=False)
    is_drill = forms.BooleanField(label=_("This is a drill"), required=False)


class PeopleForm(VersionedForm):
    """A form with person fields of one organisation; the page's role holders are suggested while typing."""

    def __init__(self, *args, organization_id: int, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            if isinstance(field, PersonField):
                field.organization_id = organization_id
                field.suggest_from(ROLE_HOLDERS)


class AssignForm(PeopleForm):
    handler = PersonField(label=_("Handler"), required=False)


class MemberForm(PeopleForm):
    """Add a person by name to the people who need to know of this incident."""

    person = PersonField(label=_("Person"))
    reason = forms.CharField(label=_("Why they need to know"), max_length=300)


class MergeForm(VersionedForm):
    into = forms.CharField(label=_("Reference of the incident to merge into"), max_length=20)


class ActionForm(VersionedForm):
    phase = forms.ChoiceField(label=_("Phase"), choices=Phase.choices)
    description = forms.CharField(
        label=_("What was done"), widget=forms.Textarea(attrs={"rows": 3}), max_length=20000
    )
    taken_at = forms.DateTimeField(label=_("When"), required=False, widget=DateTimeInput())
    emergency_action = forms.ChoiceField(label=_("Emergency action (before approval)"), required=False)

    def __init__(self, *args, policy: PolicyDocument, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["emergency_action"].choices = [("", _("None"))] + [  # type: ignore[attr-defined]
            (e.key, e.label) for e in policy.emergency_actions
        ]
        if not policy.emergency_actions:
            del self.fields["emergency_action"]


class EvidenceForm(VersionedForm):
    description = forms.CharField(
        label=_("Description (what it is, where it is kept)"),
        widget=forms.Textarea(attrs={"rows": 2}),
        max_length=20000,
    )
    file = forms.FileField(label=_("File"), required=False)
    collected_at = forms.DateTimeField(label=_("Collected at"), required=False, widget=DateTimeInput())
    holder = forms.CharField(label=_("Held by"), required=False, max_length=200)


class CustodyForm(forms.Form):
    event = forms.ChoiceField(label=_("What happened"), choices=CustodyEvent.choices)
    holder = forms.CharField(label=_("Now held by"), max_length=200)
    note = forms.CharField(label=_("Note"), required=False, max_length=2000)
    at = forms.DateTimeField(label=_("When"), required=False, widget=DateTimeInput())


class TaskForm(PeopleForm):
    title = forms.CharField(label=_("Task"), max_length=200)
    details = forms.CharField(
        label=_("Details"), required=False, widget=forms.Textarea(attrs={"rows": 2}), max_length=20000
    )
    assignee = PersonField(label=_("Person"), required=False)
    assignee_role = forms.ChoiceField(label=_("or role"), required=False)
    due_at = forms.DateTimeField(label=_("Due"), required=False, widget=DateTimeInput())

    def __init__(self, *args, policy: PolicyDocument, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["assignee_role"].choices = _policy_choices(policy.roles, "key", "title")  # type: ignore[attr-defined]


class ResultForm(forms.Form):
    result = forms.CharField(label=_("Result"), widget=forms.Textarea(attrs={"rows": 2}), max_length=20000)


class ObligationForm(forms.Form):
    outcome = forms.CharField(label=_("What was done (or why it is not needed)"), max_length=20000)
    waived = forms.BooleanField(label=_("Not needed"), required=False)


class PublicationForm(VersionedForm):
    decision = forms.ChoiceField(
        label=_("Decision"),
        widget=forms.RadioSelect,
        choices=[c for c in PublicationDecision.choices if c[0]],
    )
    reason = forms.CharField(
        label=_("Reason, and how outside bodies are told"),
        widget=forms.Textarea(attrs={"rows": 2}),
        max_length=20000,
    )


class ApprovalForm(forms.Form):
    approve = forms.TypedChoiceField(
        label=_("Decision"),
        coerce=lambda v: v == "yes",
        widget=forms.RadioSelect,
        choices=[("yes", _("Approve")), ("no", _("Reject"))],
    )
    comment = forms.CharField(
        label=_("Comment (required when rejecting)"),
        required=False,
        max_length=20000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class TransitionForm(VersionedForm):
    summary = forms.CharField(
        label=_("Summary"), required=False, widget=forms.Textarea(attrs={"rows": 3}), max_length=20000
    )
    root_cause = forms.CharField(
        label=_("Root cause"), required=False, widget=forms.Textarea(attrs={"rows": 3}), max_length=20000
    )
    prevention_measures = forms.CharField(
        label=_("Recurrence-prevention measures"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=20000,
    )
    reason = forms.CharField(
        label=_("Reason"), required=False, widget=forms.Textarea(attrs={"rows": 2}), max_length=20000
    )

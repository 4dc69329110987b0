from typing import Any, cast

from django import forms
from django.utils.translation import gettext_lazy as _

from mamori.incidents.forms import DateTimeInput
from mamori.policy.schema_bcp import BcpSpec

from .choices import Convening, Family, Intensity, RecoveryStatus, Safety


class DeclareForm(forms.Form):
    kind = forms.ChoiceField(label=_("Kind of emergency"))
    intensity = forms.ChoiceField(
        label=_("Seismic intensity"),
        required=False,
        choices=[("", "—"), *Intensity.choices],
        help_text=_("For an earthquake: the intensity observed in the area (気象庁震度階級)."),
    )
    headquarters = forms.BooleanField(label=_("A disaster headquarters has been set up"), required=False)
    occurred_at = forms.DateTimeField(label=_("Occurred at"), widget=DateTimeInput())
    scope = forms.CharField(
        label=_("Scope and situation"),
        required=False,
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("Where, what is known so far, which buildings or networks are affected."),
    )
    convene = forms.ChoiceField(
        label=_("Who must come (where the plan leaves it to you)"),
        required=False,
        widget=forms.RadioSelect,
        choices=[
            ("all", _("Everyone of the division")),
            ("teams", _("The teams chosen below")),
            ("none", _("Nobody for now (roll-call only)")),
        ],
    )
    convene_teams = forms.MultipleChoiceField(
        label=_("Teams"), required=False, widget=forms.CheckboxSelectMultiple
    )
    incident_reference = forms.CharField(
        label=_("Related incident (reference)"),
        required=False,
        max_length=20,
        help_text=_("For a security event that is also an incident, e.g. 2026-0012."),
    )

    def __init__(self, *args: Any, plan: BcpSpec, **kwargs: Any):
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["kind"]).choices = [(k.key, k.label) for k in plan.kinds]
        cast(forms.ChoiceField, self.fields["convene_teams"]).choices = [(t.key, t.label) for t in plan.teams]


class DrillForm(DeclareForm):
    """An exercise (katsushika 6(4)): the declaration of a drill emergency on a scenario, occurring now."""

    def __init__(self, *args: Any, plan: BcpSpec, **kwargs: Any):
        super().__init__(*args, plan=plan, **kwargs)
        del self.fields["occurred_at"], self.fields["incident_reference"]
        self.fields["scope"].label = _("Scenario")
        self.fields["scope"].required = True
        self.fields["scope"].help_text = _(
            "What is assumed to have happened. Everyone is asked and paged as in a real emergency, marked as a drill."
        )


class AnswerForm(forms.Form):
    """The roll-call answer (職員安否確認票（参集予測票）): large radio buttons, usable on a phone."""

    safety = forms.ChoiceField(label=_("Are you safe?"), choices=Safety.choices, widget=forms.RadioSelect)
    family = forms.ChoiceField(
        label=_("Your family and home"),
        choices=Family.choices,
        widget=forms.RadioSelect,
        initial=Family.UNKNOWN,
    )
    convening = forms.ChoiceField(
        label=_("Can you come to your post?"), choices=Convening.choices, widget=forms.RadioSelect
    )
    arrives_at = forms.DateTimeField(
        label=_("When can you be there?"),
        required=False,
        widget=DateTimeInput(),
        help_text=_("Only if you can come later."),
    )
    remote = forms.TypedChoiceField(
        label=_("Can you work remotely (telework terminal)?"),
        choices=[("yes", _("Yes")), ("no", _("No")), ("", _("Not sure"))],
        coerce=lambda v: {"yes": True, "no": False}.get(v),
        empty_value=None,
        required=False,
        widget=forms.RadioSelect,
    )
    message = forms.CharField(
        label=_("Anything else (injuries, transport, what you need)"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class RecoveryForm(forms.Form):
    status = forms.ChoiceField(label=_("Status"), choices=RecoveryStatus.choices)
    damage = forms.CharField(
        label=_("Damage and measures"),
        required=False,
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    expected_recovery_at = forms.DateTimeField(
        label=_("Expected recovery"), required=False, widget=DateTimeInput()
    )
    version = forms.IntegerField(widget=forms.HiddenInput)


class VendorRequestForm(forms.Form):
    vendor = forms.CharField(label=_("Vendor"), max_length=200)
    contact = forms.CharField(label=_("Vendor contact"), max_length=200, required=False)
    request = forms.CharField(
        label=_("What was asked"), max_length=4000, widget=forms.Textarea(attrs={"rows": 3})
    )


class VendorAnswerForm(forms.Form):
    response = forms.CharField(
        label=_("Vendor's answer"), max_length=4000, widget=forms.Textarea(attrs={"rows": 2})
    )


class EndForm(forms.Form):
    note = forms.CharField(
        label=_("Note at the end"), required=False, max_length=4000, widget=forms.Textarea(attrs={"rows": 2})
    )

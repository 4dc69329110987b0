"""Forms for outside reports: the facts their rules ask for, and each report's draft, sending or waiver."""

from django import forms
from django.utils.translation import gettext_lazy as _

from mamori.policy.schema import PolicyDocument

from .forms import DateTimeInput, VersionedForm

# Free-text items of the 個人情報保護委員会 form that Mamori cannot derive from the incident.
PPC_TEXT_FACTS = {
    "ppc_items": _("Items of personal information leaked (or possibly leaked)"),
    "ppc_secondary_damage": _("Secondary damage, or the risk of it"),
    "ppc_response_to_persons": _("What has been done for the persons concerned"),
    "ppc_other": _("Other matters for reference"),
}


class ReportFactsForm(VersionedForm):
    aware_at = forms.DateTimeField(
        label=_("When the organisation became aware"), required=False, widget=DateTimeInput()
    )

    def __init__(self, *args, policy: PolicyDocument, **kwargs):
        super().__init__(*args, **kwargs)
        seen: set[str] = set()
        has_ppc = False
        for body in policy.outside_bodies:
            has_ppc = has_ppc or any(clock.form == "ppc" for clock in body.reports)
            for trigger in body.triggers:
                if trigger.key in seen:
                    continue
                seen.add(trigger.key)
                if trigger.kind == "count":
                    self.fields[trigger.key] = forms.IntegerField(
                        label=_("%(label)s: how many persons") % {"label": trigger.label},
                        required=False,
                        min_value=0,
                        max_value=100_000_000,
                    )
                else:
                    self.fields[trigger.key] = forms.BooleanField(label=trigger.label, required=False)
        if has_ppc:
            for key, label in PPC_TEXT_FACTS.items():
                self.fields[key] = forms.CharField(
                    label=label, required=False, max_length=20000, widget=forms.Textarea(attrs={"rows": 2})
                )

    def facts(self) -> dict:
        return {
            k: v for k, v in self.cleaned_data.items() if k not in ("version", "aware_at") and v is not None
        }


class DraftForm(forms.Form):
    text = forms.CharField(label=_("Draft"), widget=forms.Textarea(attrs={"rows": 14}), max_length=50000)


class SentForm(forms.Form):
    sent_at = forms.DateTimeField(label=_("Sent at"), required=False, widget=DateTimeInput())
    reference = forms.CharField(
        label=_("Reference (receipt number, mail subject…)"), required=False, max_length=200
    )


class WaiveForm(forms.Form):
    reason = forms.CharField(
        label=_("Why it is not required"), max_length=20000, widget=forms.Textarea(attrs={"rows": 2})
    )

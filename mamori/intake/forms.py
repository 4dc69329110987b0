"""Report forms. Which items are required comes from the policy (PoC 確認項目)."""

import time
from typing import Any

from django import forms
from django.core import signing
from django.utils.translation import gettext_lazy as _

from mamori.incidents.forms import DateTimeInput
from mamori.policy.schema import PolicyDocument

from .choices import Channel
from .services import ReportInput, item_labels

FORM_SALT = "mamori.intake.public-form"
# A person takes more than this to fill in a report; a script usually doesn't.
MIN_FILL_SECONDS = 3
MAX_FORM_AGE = 24 * 3600


def sign_form_start() -> str:
    """When the form was shown, signed so that it cannot be forged."""
    return signing.Signer(salt=FORM_SALT).sign(str(time.time()))


def form_age(value: str) -> float | None:
    """Seconds since the form was shown, or None if the stamp is missing or forged."""
    try:
        return time.time() - float(signing.Signer(salt=FORM_SALT).unsign(value))
    except (signing.BadSignature, ValueError):
        return None


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", MultipleFileInput())
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        if isinstance(data, list | tuple):
            return [super(MultipleFileField, self).clean(d, initial) for d in data if d]
        return [super().clean(data, initial)] if data else []


class ReportForm(forms.Form):
    discovered_at = forms.DateTimeField(widget=DateTimeInput(), required=False)
    location = forms.CharField(max_length=300, required=False)
    description = forms.CharField(widget=forms.Textarea(attrs={"rows": 5}), max_length=20000)
    suspected_cause = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 2}), max_length=20000, required=False
    )
    impact_scope = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), max_length=20000, required=False)
    affected_systems = forms.CharField(max_length=2000, required=False)
    reporter_name = forms.CharField(max_length=200, required=False)
    reporter_contact = forms.CharField(max_length=300, required=False)
    attachments = MultipleFileField(label=_("Files (screenshots, the suspicious mail…)"), required=False)

    # Items a reporter is never asked for on this form (set by subclasses).
    omitted: tuple[str, ...] = ()

    def __init__(self, *args, policy: PolicyDocument, **kwargs):
        super().__init__(*args, **kwargs)
        labels = item_labels()
        required = set(policy.poc.required_items.items)
        for name, label in labels.items():
            if name in self.fields:
                self.fields[name].label = label
                # Required items are marked for the reader and checked again by the service.
                self.fields[name].required = name in required and name not in self.omitted
                if self.fields[name].required:
                    self.fields[name].widget.attrs["aria-required"] = "true"
        for name in self.omitted:
            self.fields.pop(name, None)
        self.order_fields(
            [
                "discovered_at",
                "location",
                "description",
                "affected_systems",
                "suspected_cause",
                "impact_scope",
                "reporter_name",
                "reporter_contact",
                "attachments",
            ]
        )

    def to_input(self) -> ReportInput:
        d = self.cleaned_data

        def text(key: str) -> str:
            return d.get(key) or ""

        return ReportInput(
            discovered_at=d.get("discovered_at"),
            location=text("location"),
            description=text("description"),
            suspected_cause=text("suspected_cause"),
            impact_scope=text("impact_scope"),
            affected_systems=text("affected_systems"),
            reporter_name=text("reporter_name"),
            reporter_contact=text("reporter_contact"),
        )


class StaffReportForm(ReportForm):
    """A logged-in staff member: name and contact come from the account."""

    omitted = ("reporter_name", "reporter_contact")


class LoggedReportForm(ReportForm):
    """The PoC clerk logging a call, mail or visit on the caller's behalf."""

    channel = forms.ChoiceField(
        label=_("How it came in"),
        choices=[
            (c.value, c.label) for c in (Channel.PHONE, Channel.MAIL, Channel.IN_PERSON, Channel.DETECTION)
        ],
    )


class PublicReportForm(ReportForm):
    # Left empty by people (it is hidden from them); bots fill every field they find.
    website = forms.CharField(required=False, label=_("Leave this empty"))
    started = forms.CharField(widget=forms.HiddenInput)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if not self.is_bound:
            self.initial["started"] = sign_form_start()
        self.fields["website"].widget.attrs.update({"autocomplete": "off", "tabindex": "-1"})

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if cleaned.get("website"):
            raise forms.ValidationError(
                _("The form could not be accepted. Please telephone the point of contact."), code="spam"
            )
        age = form_age(cleaned.get("started", ""))
        if age is None:
            raise forms.ValidationError(
                _("The form could not be accepted. Please reload the page."), code="tampered"
            )
        if age > MAX_FORM_AGE:
            # Re-stamp, so that sending the same (kept) answers again works.
            data = self.data.copy()  # type: ignore[attr-defined]
            data["started"] = sign_form_start()
            self.data = data
            raise forms.ValidationError(
                _("The form was open for too long. Please send it again."), code="expired"
            )
        if age < MIN_FILL_SECONDS:
            raise forms.ValidationError(
                _("That was very quick. Please check your report and send it again."), code="too_fast"
            )
        return cleaned

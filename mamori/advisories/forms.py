import re

from django import forms
from django.utils.translation import gettext_lazy as _

from .inputs import AdvisoryInput, ProductInput
from .models import CheckState, Severity


class AdvisoryForm(forms.Form):
    source = forms.CharField(
        label=_("Source"), max_length=100, help_text=_("e.g. JVN, JPCERT/CC, NISC, the vendor")
    )
    title = forms.CharField(label=_("Title"), max_length=300)
    identifiers = forms.CharField(
        label=_("Identifiers"),
        required=False,
        help_text=_("CVE, JVNDB or JVN numbers, separated by spaces or commas."),
    )
    severity = forms.ChoiceField(
        label=_("Severity"), required=False, choices=[("", _("from the CVSS score")), *Severity.choices]
    )
    cvss_score = forms.DecimalField(
        label=_("CVSS score"), required=False, min_value=0, max_value=10, decimal_places=1
    )
    products = forms.CharField(
        label=_("Affected products"),
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text=_(
            "One product per line: product | affected versions | publisher. Versions as the advisory writes them: "
            "“< 6.4.3”, “13.0 - 13.13”, “6.4.*”; empty means every version."
        ),
    )
    summary = forms.CharField(label=_("Summary"), required=False, widget=forms.Textarea(attrs={"rows": 3}))
    url = forms.URLField(label=_("Link"), required=False, max_length=500, assume_scheme="https")
    published_on = forms.DateField(
        label=_("Published"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )

    def advisory_input(self) -> AdvisoryInput:
        d = self.cleaned_data
        products = []
        for line in d["products"].splitlines():
            if line.strip():
                parts = [p.strip() for p in line.replace("\t", "|").split("|")] + ["", ""]
                products.append(ProductInput(product=parts[0], versions=parts[1], vendor=parts[2]))
        return AdvisoryInput(
            source=d["source"],
            title=d["title"],
            summary=d["summary"],
            cvss_score=d["cvss_score"],
            severity=d["severity"],
            identifiers=[i for i in re.split(r"[\s,、]+", d["identifiers"]) if i],
            url=d["url"],
            published_on=d["published_on"],
            products=products,
        )


class ImportForm(forms.Form):
    file = forms.FileField(
        label=_("CSAF JSON file"), help_text=_("As JVN iPedia and vendors publish them (CSAF 2.0).")
    )


class StartChecksForm(forms.Form):
    due_on = forms.DateField(
        label=_("Answer by"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )


class CheckAnswerForm(forms.Form):
    state = forms.ChoiceField(
        label=_("What was done"), choices=[(s, CheckState(s).label) for s in CheckState.answers()]
    )
    note = forms.CharField(label=_("Details"), widget=forms.Textarea(attrs={"rows": 2}))


class CloseForm(forms.Form):
    note = forms.CharField(label=_("Closing note"), required=False, widget=forms.Textarea(attrs={"rows": 2}))

"""Forms of the documents pages: the facts outside forms ask for, and a template upload."""

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from mamori.incidents.errors import ServiceError
from mamori.incidents.forms import VersionedForm
from mamori.incidents.outside_forms import PPC_TEXT_FACTS

from .outside_texts import NCO_FACTS


class OutsideTextsForm(VersionedForm):
    """Free-text facts of the 個人情報保護委員会 and NCO forms that Mamori cannot derive."""

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        for key, label in {**PPC_TEXT_FACTS, **NCO_FACTS}.items():
            self.fields[key] = forms.CharField(
                label=label, required=False, max_length=20000, widget=forms.Textarea(attrs={"rows": 2})
            )

    def facts(self) -> dict[str, str]:
        return {k: v.strip() for k, v in self.cleaned_data.items() if k != "version"}

    def add_service_error(self, exc: ServiceError) -> None:
        for field, message in exc.fields.items():
            self.add_error(field if field in self.fields else None, message)
        if not exc.fields:
            self.add_error(None, exc.message)


class TemplateUploadForm(forms.Form):
    file = forms.FileField(label=_("Word file (.docx)"))

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from mamori.people.fields import PersonField
from mamori.policy.schema_registers import ReviewSpec


class RevisionForm(forms.Form):
    document_key = forms.ChoiceField(label=_("Document"))
    label = forms.CharField(
        label=_("Revision"), max_length=100, help_text=_("e.g. 第3版, 令和8年度改訂, or “no change”")
    )
    summary = forms.CharField(label=_("What changed"), widget=forms.Textarea(attrs={"rows": 3}))
    approved_on = forms.DateField(label=_("Approved on"), widget=forms.DateInput(attrs={"type": "date"}))
    approved_by = PersonField(label=_("Approved by"))
    reference = forms.CharField(label=_("Approval record"), max_length=200, required=False)

    def __init__(self, *args: Any, spec: ReviewSpec, organization_id: int, **kwargs: Any):
        super().__init__(*args, **kwargs)
        documents = [(d.key, d.title) for d in spec.documents]
        self.fields["document_key"].choices = documents  # type: ignore[attr-defined]
        self.fields["approved_by"].organization_id = organization_id  # type: ignore[attr-defined]

"""Choosing the fiscal year to show: only years that have incidents, and the current one."""

from django import forms
from django.utils.translation import gettext_lazy as _

from mamori import wareki


class FiscalYearForm(forms.Form):
    fy = forms.TypedChoiceField(label=_("Fiscal year"), coerce=int)

    def __init__(self, *args, years: list[int], date_style: str = "wareki", **kwargs):
        """``years`` newest first, each labelled as the person prefers (令和8年度 or 2026年度)."""
        super().__init__(*args, **kwargs)
        self.fields["fy"].choices = [(str(y), wareki.fiscal_year_label(y, date_style)) for y in years]  # type: ignore[attr-defined]

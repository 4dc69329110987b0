"""The incident list filters: one definition, used by the list page and by GET /api/v1/incidents."""

from django import forms
from django.db.models import Q, QuerySet
from django.utils.translation import gettext_lazy as _

from .choices import State
from .models import Incident


class IncidentFilterForm(forms.Form):
    state = forms.ChoiceField(
        label=_("State"), required=False, choices=[("", _("All")), ("open", _("Open")), *State.choices]
    )
    level = forms.TypedChoiceField(
        label=_("Level"),
        required=False,
        coerce=int,
        empty_value=None,
        choices=[("", _("All"))] + [(str(i), str(i)) for i in range(10)],
    )
    category = forms.CharField(label=_("Category"), required=False, max_length=50)
    handler = forms.IntegerField(label=_("Handler"), required=False, min_value=1)
    fiscal_year = forms.IntegerField(label=_("Fiscal year"), required=False, min_value=2000, max_value=2200)
    q = forms.CharField(label=_("Text"), required=False, max_length=200)
    drill = forms.ChoiceField(
        label=_("Drill"),
        required=False,
        choices=[("", _("All")), ("no", _("Real incidents")), ("yes", _("Drills"))],
    )


def filter_incidents(qs: QuerySet[Incident], data: dict) -> QuerySet[Incident]:
    if data.get("state") == "open":
        qs = qs.filter(state__in=State.open_states())
    elif data.get("state"):
        qs = qs.filter(state=data["state"])
    if data.get("level") is not None:
        qs = qs.filter(level=data["level"])
    if data.get("category"):
        qs = qs.filter(category=data["category"])
    if data.get("handler"):
        qs = qs.filter(handler_id=data["handler"])
    if data.get("fiscal_year"):
        qs = qs.filter(fiscal_year=data["fiscal_year"])
    if data.get("drill") == "yes":
        qs = qs.filter(is_drill=True)
    elif data.get("drill") == "no":
        qs = qs.filter(is_drill=False)
    if data.get("q"):
        text = data["q"]
        qs = qs.filter(
            Q(reference__icontains=text)
            | Q(title__icontains=text)
            | Q(summary__icontains=text)
            | Q(reports__description__icontains=text)
        ).distinct()
    return qs

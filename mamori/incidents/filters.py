"""The incident list filters: one definition, used by the list page and by GET /api/v1/incidents."""

from typing import Any

from django import forms
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from mamori import wareki
from mamori.people.models import User
from mamori.policy.schema import PolicyDocument

from . import search
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

    def __init__(
        self,
        *args,
        policy: PolicyDocument | None = None,
        visible: Any = None,
        date_style: str = "wareki",
        **kwargs,
    ):
        """With a policy, categories and levels are offered by their labels; with the incidents the person
        may see (``visible``), handlers and fiscal years are offered from those only (the list page), so
        the choices reveal nothing of restricted incidents. The API passes only the
        policy, so any fiscal year may be asked for."""
        super().__init__(*args, **kwargs)
        everything = [("", _("All"))]
        if policy is not None:
            self.fields["category"] = forms.ChoiceField(
                label=_("Category"),
                required=False,
                choices=everything + [(c.key, c.label) for c in policy.categories],
            )
            self.fields["level"].choices = everything + [(str(lv.value), lv.label) for lv in policy.levels]  # type: ignore[attr-defined]
        if visible is not None:
            handlers = User.objects.filter(pk__in=visible.filter(handler__isnull=False).values("handler"))
            self.fields["handler"] = forms.TypedChoiceField(
                label=_("Handler"),
                required=False,
                coerce=int,
                empty_value=None,
                choices=everything + [(str(u.pk), str(u)) for u in handlers.order_by("username")],
            )
            years = visible.order_by("-fiscal_year").values_list("fiscal_year", flat=True).distinct()
            self.fields["fiscal_year"] = forms.TypedChoiceField(
                label=_("Fiscal year"),
                required=False,
                coerce=int,
                empty_value=None,
                choices=everything + [(str(y), wareki.fiscal_year_label(y, date_style)) for y in years],
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
        # Through the full-text index (search.py): it only narrows what the person may already see.
        qs = search.matching(qs, data["q"])
    return qs

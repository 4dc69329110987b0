"""The incident list filters: one definition, used by the list page and by GET /api/v1/incidents."""

from django import forms
from django.db.models import Min, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from mamori import wareki
from mamori.people.fields import PersonField
from mamori.policy.schema import PolicyDocument
from mamori.widgets import Select

from . import search
from .choices import State
from .models import Incident, ReferenceCounter


class IncidentFilterForm(forms.Form):
    state = forms.ChoiceField(
        label=_("State"),
        required=False,
        choices=[("", _("All")), ("open", _("Open")), *State.choices],
        widget=Select,
    )
    level = forms.TypedChoiceField(
        label=_("Level"),
        required=False,
        coerce=int,
        empty_value=None,
        choices=[("", _("All"))] + [(str(i), str(i)) for i in range(10)],
        widget=Select,
    )
    category = forms.CharField(label=_("Category"), required=False, max_length=50)
    handler = forms.IntegerField(label=_("Handler"), required=False, min_value=1)
    fiscal_year = forms.IntegerField(label=_("Fiscal year"), required=False, min_value=2000, max_value=2200)
    q = forms.CharField(label=_("Text"), required=False, max_length=200)
    drill = forms.ChoiceField(
        label=_("Drill"),
        required=False,
        choices=[("", _("All")), ("no", _("Real incidents")), ("yes", _("Drills"))],
        widget=Select,
    )

    def __init__(
        self,
        *args,
        policy: PolicyDocument | None = None,
        organization_id: int | None = None,
        date_style: str = "wareki",
        **kwargs,
    ):
        """With a policy, categories and levels are offered by their labels. With the organisation (the
        list page), the handler is typed (user ID, staff number or name) and the fiscal years are offered from the organisation's first to the current one.

        Neither is read from the incidents: at a prefecture's size that costs a scan of hundreds of
        thousands of rows on every page (docs/performance.md), and choices drawn from the incidents
        would also tell someone of the restricted ones they may not see. The API passes only the
        policy, so any fiscal year and a handler's id may be asked for."""
        super().__init__(*args, **kwargs)
        everything = [("", _("All"))]
        if policy is not None:
            self.fields["category"] = forms.ChoiceField(
                label=_("Category"),
                required=False,
                choices=everything + [(c.key, c.label) for c in policy.categories],
                widget=Select,
            )
            self.fields["level"].choices = everything + [(str(lv.value), lv.label) for lv in policy.levels]  # type: ignore[attr-defined]
        if organization_id is not None:
            self.fields["handler"] = PersonField(
                label=_("Handler"), required=False, organization_id=organization_id
            )
            self.fields["fiscal_year"] = forms.TypedChoiceField(
                label=_("Fiscal year"),
                required=False,
                coerce=int,
                empty_value=None,
                choices=everything
                + [(str(y), wareki.fiscal_year_label(y, date_style)) for y in fiscal_years(organization_id)],
                widget=Select,
            )


def fiscal_years(organization_id: int) -> list[int]:
    """Every fiscal year from the organisation's first numbered incident to the current one, newest
    first. A year is numbered once anything is filed in it (``ReferenceCounter``, also raised by the
    register import), so one row per year is read, never the incidents."""
    current = wareki.fiscal_year(timezone.now())
    first = ReferenceCounter.objects.filter(organization_id=organization_id).aggregate(
        first=Min("fiscal_year")
    )["first"]
    newest, oldest = max(current, first or current), min(current, first or current)
    return list(range(newest, oldest - 1, -1))


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
        # A person on the list page (typed), a person's id in the API.
        qs = qs.filter(handler_id=getattr(data["handler"], "pk", data["handler"]))
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

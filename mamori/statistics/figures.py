"""The figures of one fiscal year (年度, April–March), as the CSIRT reports them to its committee.

Kept as plain data (labels, ints, floats) so that the page, the Excel export and the committee's
yearly Word report all show the same numbers from one function.

What counts, and why:
- Drills (``is_drill``) are always left out: an exercise is not an incident of the year. How many were
  left out is given, so the reader knows.
- Incidents merged into another are the same incident reported twice: not counted. Reports triaged as
  not an incident are counted on their own line, not with the incidents.
- Restricted incidents are counted: a count reveals nothing of their content.
- An incident belongs to the fiscal year it was opened in (``Incident.fiscal_year``, Asia/Tokyo), as
  its reference number does (R8-0001).

The number of queries is fixed (seven, plus reading the policy), whatever the number of incidents.
"""

import statistics
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from django.db.models import Count, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import ExtractMonth
from django.utils import timezone
from django.utils.dates import MONTHS
from django.utils.translation import gettext as _

from mamori import wareki
from mamori.incidents.choices import State
from mamori.incidents.models import Incident
from mamori.intake.choices import Channel
from mamori.intake.models import Report
from mamori.people.models import Organization
from mamori.policy.schema import PolicyDocument
from mamori.policy.services import NoActivePolicy, active_policy

# April first: the fiscal year's months in the order a Japanese report lists them.
FISCAL_MONTHS = (4, 5, 6, 7, 8, 9, 10, 11, 12, 1, 2, 3)
NOT_COUNTED = (State.MERGED, State.NOT_INCIDENT)


@dataclass(frozen=True)
class Row:
    """One line of a breakdown: ``key`` as stored (category key, level, channel, ``YYYY-MM``)."""

    key: str
    label: str
    count: int


@dataclass(frozen=True)
class Duration:
    """How long one step took, in hours, over the incidents that reached it (``n``)."""

    key: str  # "triage", "containment", "closure"
    label: str
    n: int
    median_hours: float | None
    p90_hours: float | None


@dataclass(frozen=True)
class YearFigures:
    fiscal_year: int
    label: str  # 令和8年度 or 2026年度
    starts: date  # 1 April
    ends: date  # 31 March
    reports: int  # reports received in the year (by their date), drills left out
    incidents: int  # incidents counted: neither drills, merged, nor triaged as not an incident
    not_incident: int  # triaged as not an incident
    merged: int  # merged into another incident (duplicates)
    drills: int  # drills left out
    by_month: list[Row]  # April..March, 12 rows, zeros included
    by_category: list[Row]  # every category of the policy, then unknown keys, then "not yet triaged"
    by_level: list[Row]  # every level of the policy, then unknown levels, then "not yet triaged"
    by_channel: list[Row]  # channel of each incident's first report; every channel, zeros included
    durations: list[Duration]  # triage, containment, closure


def fiscal_year_bounds(fy: int) -> tuple[datetime, datetime]:
    """1 April 00:00 of ``fy`` and of the next year, in the organisation's time zone (Asia/Tokyo)."""
    tz = timezone.get_default_timezone()
    return datetime(fy, 4, 1, tzinfo=tz), datetime(fy + 1, 4, 1, tzinfo=tz)


def median(values: Sequence[float]) -> float | None:
    """The middle value; with an even number of values, the mean of the two middle ones. None if empty."""
    return float(statistics.median(values)) if values else None


def percentile(values: Sequence[float], p: int) -> float | None:
    """The ``p``-th percentile by the nearest-rank method, None if empty.

    Sort the n values and take the one at rank ⌈p·n/100⌉ (1-based): always a value that occurred,
    never an interpolation, so "90% of incidents were triaged within X hours" is literally true.
    With 10 values the 90th percentile is the 9th smallest; with 5 values it is the largest.
    """
    if not values:
        return None
    if not 0 < p <= 100:
        raise ValueError(p)
    ordered = sorted(values)
    rank = -(-p * len(ordered) // 100)  # ceiling, in integers: no rounding error at exact ranks
    return float(ordered[rank - 1])


def yearly_figures(
    organization: Organization,
    fiscal_year: int,
    *,
    date_style: str = "wareki",
    policy: PolicyDocument | None = None,
) -> YearFigures:
    """Counts and durations of ``organization``'s fiscal year ``fiscal_year`` (e.g. 2026 = 令和8年度).

    Categories and levels are labelled by ``policy`` (default: the organisation's active policy; a
    view passes the one it already read). ``date_style`` names the year: "wareki" or "seireki".
    """
    policy = policy or _policy(organization)
    opened = Incident.objects.filter(organization=organization, fiscal_year=fiscal_year)
    counted = opened.filter(is_drill=False).exclude(state__in=NOT_COUNTED)
    real = Q(is_drill=False)
    summary = opened.aggregate(
        incidents=Count("pk", filter=real & ~Q(state__in=NOT_COUNTED)),
        not_incident=Count("pk", filter=real & Q(state=State.NOT_INCIDENT)),
        merged=Count("pk", filter=real & Q(state=State.MERGED)),
        drills=Count("pk", filter=Q(is_drill=True) & ~Q(state=State.MERGED)),
    )
    starts, ends = fiscal_year_bounds(fiscal_year)
    reports = (
        Report.objects.filter(organization=organization, received_at__gte=starts, received_at__lt=ends)
        .exclude(incident__is_drill=True)
        .count()
    )
    first_report = Report.objects.filter(incident=OuterRef("pk")).order_by("received_at", "pk")
    return YearFigures(
        fiscal_year=fiscal_year,
        label=wareki.fiscal_year_label(fiscal_year, date_style),
        starts=starts.date(),
        ends=date(fiscal_year + 1, 3, 31),
        reports=reports,
        incidents=summary["incidents"],
        not_incident=summary["not_incident"],
        merged=summary["merged"],
        drills=summary["drills"],
        by_month=_by_month(counted, fiscal_year),
        by_category=_by_category(counted, policy),
        by_level=_by_level(counted, policy),
        by_channel=_by_channel(counted.annotate(first_channel=Subquery(first_report.values("channel")[:1]))),
        durations=_durations(
            counted.annotate(first_received=Subquery(first_report.values("received_at")[:1])).values_list(
                "first_received", "opened_at", "triaged_at", "contained_at", "closed_at"
            )
        ),
    )


def _policy(organization: Organization) -> PolicyDocument | None:
    try:
        return active_policy(organization)
    except NoActivePolicy:
        return None


def _tally(qs: QuerySet[Any], field: str) -> dict[Any, int]:
    # order_by() clears the model's default ordering, which would otherwise join the GROUP BY.
    return {row[field]: row["n"] for row in qs.values(field).annotate(n=Count("pk")).order_by()}


def _by_month(counted: QuerySet[Incident], fy: int) -> list[Row]:
    months = _tally(
        counted.annotate(month=ExtractMonth("opened_at", tzinfo=timezone.get_default_timezone())), "month"
    )
    return [
        Row(f"{fy if m >= 4 else fy + 1}-{m:02d}", str(MONTHS[m]), months.get(m, 0)) for m in FISCAL_MONTHS
    ]


def _untriaged() -> str:
    return _("Not yet triaged")


def _by_category(counted: QuerySet[Incident], policy: PolicyDocument | None) -> list[Row]:
    found = _tally(counted, "category")
    known = [(c.key, c.label) for c in policy.categories] if policy else []
    return _rows(found, known, untriaged="")


def _by_level(counted: QuerySet[Incident], policy: PolicyDocument | None) -> list[Row]:
    found = {("" if level is None else str(level)): n for level, n in _tally(counted, "level").items()}
    known = [(str(lv.value), lv.label) for lv in policy.levels] if policy else []
    return _rows(found, known, untriaged="")


def _by_channel(counted: QuerySet[Incident]) -> list[Row]:
    found = {(channel or ""): n for channel, n in _tally(counted, "first_channel").items()}
    rows = _rows(found, [(value, str(label)) for value, label in Channel.choices], untriaged=None)
    # An incident without any report (none is expected: each is opened by one) still shows up.
    return [Row(r.key, _("Unknown") if r.key == "" else r.label, r.count) for r in rows]


def _rows(found: dict[str, int], known: Iterable[tuple[str, str]], *, untriaged: str | None) -> list[Row]:
    """The known keys in the policy's order with zeros, then keys the policy no longer has (shown as
    the key itself, e.g. a category removed in a later policy version), then the untriaged ones."""
    rows = [Row(key, label, found.get(key, 0)) for key, label in known]
    listed = {key for key, _label in known} | {untriaged}
    rows += [Row(key, key, n) for key, n in sorted(found.items()) if key not in listed]
    if untriaged is not None and found.get(untriaged):
        rows.append(Row(untriaged, _untriaged(), found[untriaged]))
    return rows


def _hours(start: datetime, end: datetime) -> float:
    return (end - start).total_seconds() / 3600


def _durations(moments: Iterable[tuple[Any, ...]]) -> list[Duration]:
    """From the first report's receipt (the incident's opening if it has no report) to triage, to
    containment (the first move to recovery) and to closure, for the incidents that got there."""
    steps: dict[str, list[float]] = {"triage": [], "containment": [], "closure": []}
    for first_received, opened_at, *ends in moments:
        start = first_received or opened_at
        for key, end in zip(steps, ends, strict=True):
            if end is not None:
                steps[key].append(_hours(start, end))
    labels = {
        "triage": _("From report to triage"),
        "containment": _("From report to containment"),
        "closure": _("From report to closure"),
    }
    return [
        Duration(key, labels[key], len(values), median(values), percentile(values, 90))
        for key, values in steps.items()
    ]


def years_with_incidents(organization: Organization) -> list[int]:
    """Fiscal years in which the organisation opened any incident, newest first."""
    qs = Incident.objects.filter(organization=organization).order_by("-fiscal_year")
    return list(qs.values_list("fiscal_year", flat=True).distinct())

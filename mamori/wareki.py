"""Japanese eras (和暦) and fiscal years (年度, April–March).

The era table is data: when a new era is proclaimed, add one row at the top. Nothing else changes.
"""

import calendar
from datetime import date, datetime
from typing import NamedTuple

from django.utils import timezone


class Era(NamedTuple):
    starts: date
    name: str  # 令和
    letter: str  # R


ERAS: tuple[Era, ...] = (
    Era(date(2019, 5, 1), "令和", "R"),
    Era(date(1989, 1, 8), "平成", "H"),
    Era(date(1926, 12, 25), "昭和", "S"),
    Era(date(1912, 7, 30), "大正", "T"),
    Era(date(1873, 1, 1), "明治", "M"),
)


def era_of(day: date) -> tuple[Era, int]:
    """The era in force on ``day`` and the year within it (元年 = 1)."""
    for era in ERAS:
        if day >= era.starts:
            return era, day.year - era.starts.year + 1
    raise ValueError(f"{day} is before the Japanese calendar tables")


def fiscal_year(moment: datetime | date) -> int:
    """The fiscal year (年度) a moment falls in, named by the Western year it starts in."""
    if isinstance(moment, datetime):
        moment = timezone.localtime(moment).date() if timezone.is_aware(moment) else moment.date()
    return moment.year if moment.month >= 4 else moment.year - 1


def fiscal_year_era(fy: int) -> tuple[Era, int]:
    """The era name of a fiscal year.

    A fiscal year is named by the era in force at its end (31 March): FY2019 is 令和元年度, as
    municipalities wrote it after the change of era in May 2019 (docs/adr/0002). The year is counted
    from the year the fiscal year starts in: FY2026 (April 2026–March 2027) is 令和8年度.
    """
    era, _year = era_of(date(fy + 1, 3, 31))
    return era, fy - era.starts.year + 1


def fiscal_year_label(fy: int, style: str = "wareki") -> str:
    if style == "seireki":
        return f"{fy}年度"
    era, year = fiscal_year_era(fy)
    return f"{era.name}{'元' if year == 1 else year}年度"


def reference_prefix(fy: int) -> str:
    """``R8`` for fiscal year 2026: the prefix of report and incident numbers."""
    era, year = fiscal_year_era(fy)
    return f"{era.letter}{year}"


def format_date(day: date, style: str = "wareki") -> str:
    if style == "seireki":
        return f"{day.year}年{day.month}月{day.day}日"
    era, year = era_of(day)
    return f"{era.name}{'元' if year == 1 else year}年{day.month}月{day.day}日"


def format_datetime(moment: datetime, style: str = "wareki") -> str:
    local = timezone.localtime(moment) if timezone.is_aware(moment) else moment
    return f"{format_date(local.date(), style)} {local:%H:%M}"


def add_months(day: date, months: int) -> date:
    """The same day ``months`` later, or the month's last day (31 Aug + 6 months = 28/29 Feb)."""
    month = day.month - 1 + months
    year, month = day.year + month // 12, month % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))

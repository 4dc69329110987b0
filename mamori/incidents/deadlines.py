"""Legal deadlines in Japan: counted in Asia/Tokyo, in calendar days or in business days.

Counting follows the Civil Code (民法) as the deadline rules of the 個人情報保護委員会 do:
- 第140条: the first day is not counted (the clock starts the next day);
- 第141条: the period ends when its last day ends (24:00 Japan time).
Business days skip Saturdays, Sundays, national holidays (祝日, 振替休日, 国民の休日 — jpholiday)
and the year-end closing 12月29日〜1月3日 (行政機関の休日に関する法律第1条).
Calendar counting does not move a last day that falls on a holiday: the earlier deadline is the safe one.
"""

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import jpholiday

TOKYO = ZoneInfo("Asia/Tokyo")


def is_business_day(day: date) -> bool:
    if day.weekday() >= 5 or jpholiday.is_holiday(day):
        return False
    return not ((day.month == 12 and day.day >= 29) or (day.month == 1 and day.day <= 3))


def add_business_days(start: date, days: int) -> date:
    day, counted = start, 0
    while counted < days:
        day += timedelta(days=1)
        if is_business_day(day):
            counted += 1
    return day


def end_of(day: date) -> datetime:
    """The last moment of ``day`` in Japan (stored to the microsecond)."""
    return datetime.combine(day, time(23, 59, 59, 999999), TOKYO)


def due_at(
    start: datetime, *, days: int | None = None, hours: int | None = None, counting: str = "calendar"
) -> datetime:
    """When a period of ``days`` (or ``hours``) that starts at ``start`` ends."""
    if hours is not None:
        return start + timedelta(hours=hours)
    if days is None:
        raise ValueError("give days or hours")
    first = start.astimezone(TOKYO).date()
    last = add_business_days(first, days) if counting == "business" else first + timedelta(days=days)
    return end_of(last)

"""Reading the cells of a register someone kept in Excel: dates, yes/no, text and header names.

Registers kept by hand hold dates as Excel dates or as text in either calendar (2025/4/1 10:00,
令和7年4月1日, R7.4.1, 平成31年4月30日(火)), yes/no as はい/いいえ, ○/×, TRUE/FALSE or 1/0, and digits
typed full-width. Each reader returns the value or raises ``CellError`` with a message for the person.
"""

import re
import unicodedata
from datetime import date, datetime, time, timedelta, tzinfo
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _
from openpyxl.utils.datetime import from_excel

from mamori import wareki


class CellError(ValueError):
    """The cell cannot be read as what its column holds; ``str(error)`` says why, for the person."""


def fold(text: str) -> str:
    """Full-width letters, digits and punctuation to ASCII (Ｒ８－００１２ → R8-0012), trimmed."""
    return unicodedata.normalize("NFKC", text).strip()


def header_key(text: Any) -> str:
    """A header as compared with the known names: folded, without spaces, case-insensitive."""
    return re.sub(r"\s+", "", fold(str(text or ""))).casefold()


def cell_text(value: Any) -> str:
    """The cell as text: numbers without a trailing .0, dates as written in ISO form."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime):
        return value.isoformat(sep=" ", timespec="minutes")
    return str(value).strip()


# --- yes / no -------------------------------------------------------------------------------------

TRUE_WORDS = frozenset({"はい", "○", "◯", "〇", "有", "あり", "true", "yes", "y", "1", "✓", "✔"})
FALSE_WORDS = frozenset({"いいえ", "×", "✕", "✗", "無", "なし", "false", "no", "n", "0", "-", "ー"})


def parse_bool(value: Any) -> bool:
    """Empty means no: a register leaves the cell blank where nothing applies."""
    if value is None or value == "":
        return False
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float):
        if value in (0, 1):
            return bool(value)
        raise CellError(_("Write はい or いいえ (also ○/×, TRUE/FALSE or 1/0)."))
    word = fold(str(value)).casefold()
    if word in TRUE_WORDS:
        return True
    if word in FALSE_WORDS or word == "":
        return False
    raise CellError(_("Write はい or いいえ (also ○/×, TRUE/FALSE or 1/0)."))


# --- dates ----------------------------------------------------------------------------------------

ERA_NAMES = {era.name: era for era in wareki.ERAS} | {era.letter: era for era in wareki.ERAS}
_TIME = (
    r"(?:\s*(?P<hour>\d{1,2})\s*[:時]\s*(?P<minute>\d{1,2})\s*分?(?:\s*:\s*(?P<second>\d{1,2})(?:\.\d+)?)?)?"
)
_SEP = r"\s*[年./-]\s*"
WAREKI_RE = re.compile(
    r"^(?P<era>明治|大正|昭和|平成|令和|[MTSHR])\s*(?P<year>元|\d{1,2})"
    + _SEP
    + r"(?P<month>\d{1,2})\s*[月./-]\s*(?P<day>\d{1,2})\s*日?"
    + r"(?:\s*|T)"
    + _TIME
    + "$",
    re.IGNORECASE,
)
SEIREKI_RE = re.compile(
    r"^(?P<year>\d{4})"
    + _SEP
    + r"(?P<month>\d{1,2})\s*[月./-]\s*(?P<day>\d{1,2})\s*日?"
    + r"(?:\s*|T)"
    + _TIME
    + "$"
)
# (火) or （火曜日） after a date, as Japanese documents often write it.
WEEKDAY_RE = re.compile(r"[(（]\s*[月火水木金土日](?:曜日?)?\s*[)）]")
# Excel's serial numbers for 1900-01-01 … 2099-12-31: a date whose cell format was lost.
SERIAL_RANGE = (1, 73415)


def parse_moment(value: Any) -> datetime | None:
    """An aware datetime, or None for an empty cell. Dates without a time are taken at 0:00 in Japan."""
    zone = timezone.get_default_timezone()
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, datetime):
        return value if timezone.is_aware(value) else value.replace(tzinfo=zone)
    if isinstance(value, date):
        return datetime.combine(value, time(0), tzinfo=zone)
    if isinstance(value, bool):
        raise CellError(_("Not a date."))
    if isinstance(value, int | float):
        if SERIAL_RANGE[0] <= value <= SERIAL_RANGE[1]:
            serial = from_excel(value)
            if isinstance(serial, datetime):
                return serial.replace(tzinfo=zone)
        raise CellError(_("Not a date."))
    text = WEEKDAY_RE.sub(" ", fold(str(value))).strip()
    match = WAREKI_RE.match(text)
    if match:
        era = ERA_NAMES[match["era"].upper() if len(match["era"]) == 1 else match["era"]]
        era_year = 1 if match["year"] == "元" else int(match["year"])
        if era_year < 1:
            raise CellError(_("There is no year 0 of an era."))
        return _from_parts(match, era.starts.year + era_year - 1, zone, era)
    match = SEIREKI_RE.match(text)
    if match:
        return _from_parts(match, int(match["year"]), zone)
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise CellError(
            _("Not a date. Write it as 2025/4/1 10:00 or 令和7年4月1日, or use an Excel date.")
        ) from None
    return moment if timezone.is_aware(moment) else moment.replace(tzinfo=zone)


def _from_parts(match: re.Match[str], year: int, zone: tzinfo, era: wareki.Era | None = None) -> datetime:
    try:
        day = date(year, int(match["month"]), int(match["day"]))
        clock = time(int(match["hour"] or 0), int(match["minute"] or 0), int(match["second"] or 0))
    except ValueError:
        raise CellError(_("No such date or time.")) from None
    # A date after its era ended (平成31年5月1日) is still one day of the calendar and is kept, as
    # pre-printed forms went on saying 平成 for a while; a date before the era began is a mistake.
    if era is not None and day < era.starts:
        raise CellError(
            _("%(era)s began on %(date)s; this date is before it.")
            % {"era": era.name, "date": wareki.format_date(era.starts, "seireki")}
        )
    return datetime.combine(day, clock, tzinfo=zone)


def in_future(moment: datetime, slack: timedelta = timedelta(minutes=5)) -> bool:
    return moment > timezone.now() + slack

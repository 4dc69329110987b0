"""Keyset pagination of incident lists: newest first, by (opened_at, pk), with no count of the whole set.

An offset (``?page=2000``) makes the database walk past every row before the page, and a total count
walks all of them: both grow with ten years of a prefecture's incidents. A cursor names the last row
shown instead, and the next page starts right after it on the index (organization, state, -opened_at),
whatever the page's depth. The cursor is opaque to users (``after=…`` / ``before=…``); a tampered one
is refused with a clear message rather than guessed at.
"""

import base64
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from django.db.models import QuerySet
from django.utils.translation import gettext as _

from .errors import Invalid
from .models import Incident


def encode(incident: Incident) -> str:
    micros = int(incident.opened_at.timestamp() * 1_000_000)
    return base64.urlsafe_b64encode(f"{micros}:{incident.pk}".encode()).decode().rstrip("=")


def decode(cursor: str) -> tuple[datetime, int]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        micros, pk = (int(part) for part in raw.split(":"))
        return datetime.fromtimestamp(micros / 1_000_000, tz=UTC), pk
    except (ValueError, UnicodeDecodeError, OverflowError):
        raise Invalid(
            fields={"cursor": _("This page link is not valid; start again from the first page.")}
        ) from None


@dataclass
class KeysetPage:
    items: list[Any]
    next_cursor: str | None  # older incidents follow
    previous_cursor: str | None  # newer incidents precede
    size: int

    def __iter__(self):
        return iter(self.items)

    def __len__(self) -> int:
        return len(self.items)

    @property
    def has_other_pages(self) -> bool:
        return bool(self.next_cursor or self.previous_cursor)


def paginate(
    qs: QuerySet[Incident], *, size: int, after: str | None = None, before: str | None = None
) -> KeysetPage:
    """One page of ``qs`` (newest first). ``after``: the page following that row; ``before``: the page
    preceding it. One query of ``size + 1`` rows: the extra row says whether another page follows."""
    if before:
        moment, pk = decode(before)
        # Newer than the cursor, nearest first, then turned back to newest first.
        rows = list(
            qs.filter(opened_at__gte=moment)
            .exclude(opened_at=moment, pk__lte=pk)
            .order_by("opened_at", "pk")[: size + 1]
        )
        more_before = len(rows) > size
        items = list(reversed(rows[:size]))
        return KeysetPage(
            items,
            next_cursor=encode(items[-1]) if items else None,
            previous_cursor=encode(items[0]) if items and more_before else None,
            size=size,
        )
    if after:
        moment, pk = decode(after)
        qs = qs.filter(opened_at__lte=moment).exclude(opened_at=moment, pk__gte=pk)
    rows = list(qs.order_by("-opened_at", "-pk")[: size + 1])
    items = rows[:size]
    return KeysetPage(
        items,
        next_cursor=encode(items[-1]) if len(rows) > size else None,
        previous_cursor=encode(items[0]) if after and items else None,
        size=size,
    )

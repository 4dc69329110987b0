"""Writing the journal. Every service function that changes state calls ``record`` in its transaction."""

import json
from datetime import UTC, datetime
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection, transaction
from django.utils import timezone

from mamori.home.text import without_nul

from .chain import GENESIS_HASH, entry_hash
from .models import JournalEntry, JournalHead


class JournalOutsideTransaction(RuntimeError):
    """``record`` was called outside a transaction: the change and its entry could part ways."""


def _jsonable(data: dict[str, Any]) -> dict[str, Any]:
    # Round-trip through JSON so the hashed payload is exactly what the database will return.
    # NUL cannot be stored in PostgreSQL's jsonb; it is dropped here as everywhere (home/text.py).
    return without_nul(json.loads(json.dumps(data, cls=DjangoJSONEncoder, ensure_ascii=False)))


# The head's two statements are written in SQL: ``record`` runs in every change of state, and building
# them through the ORM cost three quarters of its time (0.8 → 0.2 ms, docs/performance.md).
def _head_table() -> str:
    return connection.ops.quote_name(JournalHead._meta.db_table)


def _lock_head() -> tuple[int, str]:
    """The last sequence number and hash, locked until the transaction ends (PostgreSQL: FOR UPDATE;
    SQLite: the transaction already holds the only write lock). Appends are serialised here."""
    lock = " FOR UPDATE" if connection.features.has_select_for_update else ""
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT last_seq, last_hash FROM {_head_table()} WHERE id = 1{lock}")  # noqa: S608
        row = cursor.fetchone()
    if row is None:
        JournalHead.objects.create(pk=1, last_seq=0, last_hash=GENESIS_HASH)
        return 0, GENESIS_HASH
    return int(row[0]), str(row[1])


def record(
    *,
    actor: Any,
    action: str,
    obj: Any = None,
    object_type: str = "",
    object_id: str = "",
    object_label: str = "",
    organization: Any = None,
    data: dict[str, Any] | None = None,
    at: datetime | None = None,
) -> JournalEntry:
    """Append one entry. Must run inside the transaction that makes the change it describes."""
    if not connection.in_atomic_block:
        raise JournalOutsideTransaction(action)
    if obj is not None:
        object_type = object_type or obj._meta.label_lower
        object_id = object_id or str(obj.pk)
        object_label = object_label or str(obj)[:200]
        if organization is None:
            organization = getattr(obj, "organization", None)
    last_seq, last_hash = _lock_head()
    actor_user = actor if getattr(actor, "pk", None) else None
    entry = JournalEntry(
        seq=last_seq + 1,
        created_at=at or timezone.now(),
        organization=organization,
        actor=actor_user,
        actor_label=(actor.get_full_name() or actor.get_username()) if actor_user else str(actor or "system"),
        action=action,
        object_type=object_type,
        object_id=object_id,
        object_label=object_label,
        data=_jsonable(data or {}),
        prev_hash=last_hash,
    )
    # Hash exactly what will be stored: without NUL (mamori/home/text.py), timestamps in UTC.
    for name in ("actor_label", "action", "object_type", "object_id", "object_label"):
        limit = getattr(JournalEntry._meta.get_field(name), "max_length", None)
        setattr(entry, name, without_nul(getattr(entry, name))[:limit])
    entry.created_at = entry.created_at.astimezone(UTC)
    entry.hash = entry_hash(entry)
    entry.save()
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {_head_table()} SET last_seq = %s, last_hash = %s WHERE id = 1",  # noqa: S608
            [entry.seq, entry.hash],
        )
    return entry


def entries_for(obj: Any) -> "list[JournalEntry]":
    return list(
        JournalEntry.objects.filter(object_type=obj._meta.label_lower, object_id=str(obj.pk))
        .select_related("actor")
        .order_by("seq")
    )


__all__ = ["record", "entries_for", "transaction"]

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
    head = JournalHead.objects.select_for_update().filter(pk=1).first()
    if head is None:
        head = JournalHead.objects.create(pk=1, last_seq=0, last_hash=GENESIS_HASH)
    actor_user = actor if getattr(actor, "pk", None) else None
    entry = JournalEntry(
        seq=head.last_seq + 1,
        created_at=at or timezone.now(),
        organization=organization,
        actor=actor_user,
        actor_label=(actor.get_full_name() or actor.get_username()) if actor_user else str(actor or "system"),
        action=action,
        object_type=object_type,
        object_id=object_id,
        object_label=object_label,
        data=_jsonable(data or {}),
        prev_hash=head.last_hash,
    )
    # Hash exactly what will be stored: without NUL (mamori/home/text.py), timestamps in UTC.
    for name in ("actor_label", "action", "object_type", "object_id", "object_label"):
        limit = getattr(JournalEntry._meta.get_field(name), "max_length", None)
        setattr(entry, name, without_nul(getattr(entry, name))[:limit])
    entry.created_at = entry.created_at.astimezone(UTC)
    entry.hash = entry_hash(entry)
    entry.save()
    head.last_seq, head.last_hash = entry.seq, entry.hash
    JournalHead.objects.filter(pk=1).update(last_seq=entry.seq, last_hash=entry.hash)
    return entry


def entries_for(obj: Any) -> "list[JournalEntry]":
    return list(
        JournalEntry.objects.filter(object_type=obj._meta.label_lower, object_id=str(obj.pk))
        .select_related("actor")
        .order_by("seq")
    )


__all__ = ["record", "entries_for", "transaction"]

"""The journal of the generated dataset: entries shaped as ``mamori.journal.services.record`` writes them,
hashed with ``mamori.journal.chain.entry_hash``, appended in bulk, and the head moved to the last one.

Events are collected as they are generated (``Events.add``) and written in the order of their time:
an incident's later events (its closure weeks on) wait in buckets of an hour until every incident that
could have an earlier event has been generated (``Events.due``).
"""

import hashlib
import json
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import orjson
from generate_db import Loader, columns_of

from mamori.journal.chain import GENESIS_HASH, entry_hash
from mamori.journal.models import JournalEntry, JournalHead

HOUR_US = 3_600_000_000
ENTRY_COLUMNS = columns_of(
    JournalEntry,
    (
        "id",
        "seq",
        "created_at",
        "organization",
        "actor",
        "actor_label",
        "action",
        "object_type",
        "object_id",
        "object_label",
        "data",
        "prev_hash",
        "hash",
    ),
)
LIMITS = {f.name: f.max_length for f in JournalEntry._meta.concrete_fields if f.max_length}

# (time µs, order, organization id, actor: a person's id, a name (``record(actor="Mamori (escalation)")``)
# or None, action, object type, object id, object label, data)
Event = tuple[int, int, int | None, int | str | None, str, str, str, str, dict[str, Any]]
# An entry's columns up to its data, then the canonical bytes before and after the previous hash.
Encoded = tuple[Any, ...]
# Stands for the previous entry's hash in the canonical text: 64 characters JSON leaves as they are.
PLACEHOLDER = "~" * 64
PLACEHOLDER_BYTES = PLACEHOLDER.encode()


@dataclass(slots=True)
class _Entry:
    """What entry_hash reads of a JournalEntry."""

    seq: int
    created_at: Any
    organization_id: int | None
    actor_id: int | None
    actor_label: str
    action: str
    object_type: str
    object_id: str
    object_label: str
    data: dict[str, Any]
    prev_hash: str


class Events:
    """Pending journal events in buckets of an hour."""

    def __init__(self) -> None:
        self._buckets: dict[int, list[Event]] = {}
        self._order = 0
        self.pending = 0

    def add(
        self,
        at: int,
        organization: int | None,
        actor: int | str | None,
        action: str,
        object_type: str,
        object_id: int | str,
        object_label: str,
        data: dict[str, Any],
    ) -> None:
        # ``order`` keeps the events of one instant in the order the services record them.
        self._order += 1
        event = (
            at,
            self._order,
            organization,
            actor,
            action,
            object_type,
            str(object_id),
            object_label,
            data,
        )
        self._buckets.setdefault(at // HOUR_US, []).append(event)
        self.pending += 1

    def due(self, before: int | None) -> list[Event]:
        """Every pending event earlier than ``before`` (all with None), in time order."""
        limit = None if before is None else before // HOUR_US
        out: list[Event] = []
        for hour in sorted(h for h in self._buckets if limit is None or h <= limit):
            bucket = self._buckets.pop(hour)
            if limit is not None and hour == limit:
                keep = [e for e in bucket if e[0] >= before]  # type: ignore[operator]
                bucket = [e for e in bucket if e[0] < before]  # type: ignore[operator]
                if keep:
                    self._buckets[hour] = keep
            bucket.sort()
            out.extend(bucket)
        self.pending -= len(out)
        return out


class Chain:
    """Appends hash-chained entries after the journal's head, as ``record`` does one at a time.

    In two steps, so that the costly one can run in either process (generate.py): ``encode`` builds each
    entry's payload with ``chain.entry_payload`` and its canonical JSON (``chain.canonical``'s) — with a
    placeholder where the previous entry's hash goes — once, for both the hash and the stored details;
    ``link`` puts the hashes in, in order: the SHA-256 of those bytes with the real previous hash, which
    is ``chain.entry_hash`` of the entry (checked against ``entry_hash`` itself every CHECK_EVERY entries,
    from the row as it will be stored).
    """

    def __init__(self, loader: Loader, labels: dict[int, str]) -> None:
        self.loader = loader
        self.labels = labels  # person id → actor_label (display name, or username)
        self.stamps = loader.stamps
        head = JournalHead.objects.filter(pk=1).first()
        self.last_seq = head.last_seq if head else 0
        self.last_hash = head.last_hash if head else GENESIS_HASH
        self.next_id = loader.max_id("journal_journalentry") + 1
        self.written = 0
        self.actions: Counter[str] = Counter()

    def encode(self, events: list[Event], *, system_label: str = "system") -> list[Encoded]:
        """The entries of ``events`` (in time order) without their hashes; numbers them from the last.

        The canonical text is written by orjson, which writes str, int, bool, None, lists and dicts with
        sorted keys byte for byte as ``chain.canonical`` does (mamori/journal/scan.py relies on it too,
        and its tests check every code point); the generated data hold nothing else (no floats). The
        instant is given as the text ``isoformat`` writes. ``link`` rehashes a sample with ``entry_hash``."""
        labels, stamps = self.labels, self.stamps
        dumps, sort_keys = orjson.dumps, orjson.OPT_SORT_KEYS
        out: list[Encoded] = []
        seq, next_id = self.last_seq, self.next_id
        limit = LIMITS["object_label"]
        for at, _order, organization, actor, action, object_type, object_id, object_label, data in events:
            seq += 1
            if actor is None:
                label = system_label
            elif actor.__class__ is str:  # the system acting under a name of its own
                label, actor = actor, None
            else:
                label = labels[actor]
            object_label = object_label[:limit]
            payload = {
                "seq": seq, "created_at": stamps.utc_iso(at), "organization": organization, "actor": actor,
                "actor_label": label, "action": action, "object_type": object_type, "object_id": object_id,
                "object_label": object_label, "data": data, "prev_hash": PLACEHOLDER,
            }  # fmt: skip
            text = dumps(payload, option=sort_keys)
            cut = text.rindex(PLACEHOLDER_BYTES)
            # The stored details: the canonical text's own "data" value (any JSON of the dict would do).
            data_json = text[text.index(b',"data":') + 8 : text.rindex(b',"object_id":')].decode()
            out.append(
                (next_id, seq, stamps.db(at), organization, actor, label, action, object_type, object_id,
                 object_label, data_json, text[:cut], text[cut + 64 :])
            )  # fmt: skip
            next_id += 1
        self.last_seq, self.next_id = seq, next_id
        return out

    def skip(self, count: int) -> None:
        """Number on as if ``count`` entries had been encoded here (another process encodes them)."""
        self.last_seq += count
        self.next_id += count

    def link(self, encoded: list[Encoded]) -> list[tuple[Any, ...]]:
        """The rows of ``encoded`` with their previous and own hashes, after the last entry linked."""
        prev = self.last_hash
        rows = []
        sha256 = hashlib.sha256
        for entry in encoded:
            *fields, head, tail = entry
            digest = sha256(head + prev.encode() + tail).hexdigest()
            rows.append((*fields, prev, digest))
            prev = digest
        if encoded:
            self.last_seq, self.next_id = encoded[-1][1], encoded[-1][0] + 1
            self.written += len(encoded)
            self._check(rows[:: self.CHECK_EVERY])
            self.actions.update(row[6] for row in rows)
        self.last_hash = prev
        return rows

    CHECK_EVERY = 1000

    def _check(self, rows: list[tuple[Any, ...]]) -> None:
        """A sample of the entries rehashed with ``entry_hash`` as verify_chain will (from the stored text):
        the canonical text made in ``encode`` must be ``chain.canonical``'s, byte for byte."""
        for row in rows:
            entry = _Entry(
                row[1],
                None,
                row[3],
                row[4],
                row[5],
                row[6],
                row[7],
                row[8],
                row[9],
                json.loads(row[10]),
                row[11],
            )
            entry.created_at = _created_at(row[2])
            if entry_hash(entry) != row[12]:
                raise RuntimeError(f"journal entry {row[1]}: the hash differs from entry_hash")

    def append(self, events: list[Event], *, system_label: str = "system") -> None:
        """Write ``events`` (in time order) as the next entries; call ``save_head`` before any ``record``."""
        self.write(self.encode(events, system_label=system_label))

    def write(self, encoded: list[Encoded]) -> None:
        self.loader.insert("journal_journalentry", ENTRY_COLUMNS, self.link(encoded))

    def save_head(self) -> None:
        """Move the head to the last entry written, as ``record`` does after each entry (and on PostgreSQL
        the id sequence past the ids given here, for the entries ``record`` writes next)."""
        updated = JournalHead.objects.filter(pk=1).update(last_seq=self.last_seq, last_hash=self.last_hash)
        if not updated:
            JournalHead.objects.create(pk=1, last_seq=self.last_seq, last_hash=self.last_hash)
        self.loader.reset_sequences([JournalEntry])


def _created_at(text: str) -> datetime:
    """The stored instant as Django reads it back (aware, UTC)."""
    moment = datetime.fromisoformat(text.replace(" ", "T"))
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)

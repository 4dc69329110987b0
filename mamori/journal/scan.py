"""Checking a stretch of the chain straight from the table's rows: millions of entries in seconds.

Loading model instances and passing each to ``chain.entry_hash`` costs about 25 µs an entry, most of
it in ``json.dumps``; a prefecture's journal holds 5–10 million. Here the rows come as tuples through
a plain cursor and the canonical text is written by orjson, which writes str, int (up to 64 bits),
bool, None, lists and dicts with sorted keys byte for byte as ``chain.canonical`` does
(tests/test_fast_text.py checks every code point). What orjson would write otherwise never reaches it:

- ``data`` is parsed by the standard library's JSON scanner, as Django's JSONField parses it, except
  that each float becomes an ``orjson.Fragment`` holding the text ``json.dumps`` writes for it
  (orjson writes 1e-05 as 0.00001, and NaN and infinity as null);
- a row that is in any way unusual (a timestamp with an offset or not in ISO form, a float in an
  integer column, an integer beyond 64 bits, bytes, text that is not JSON or has white space around
  it) raises, and the entry is hashed the exact way instead.

The exact way is the one that wrote the hash: the entry loaded as a model instance and passed to
``chain.entry_hash``. It also decides whenever the fast text's hash does not match: an entry is
called broken only on its exact hash. So the fast text can only ever say that an entry is intact,
and wherever it is written at all it is the exact text.
"""

import hashlib
import json
from collections.abc import Callable, Generator
from contextlib import closing
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, cast

import orjson
from django.db import connection
from psycopg.types.datetime import TimestamptzLoader

from .chain import entry_hash
from .models import JournalEntry

# The columns read, in this order; the payload keys are chain.entry_payload's.
COLUMNS = (
    "id",
    "seq",
    "created_at",
    "organization_id",
    "actor_id",
    "actor_label",
    "action",
    "object_type",
    "object_id",
    "object_label",
    "data",
    "prev_hash",
    "hash",
)
OPTIONS = orjson.OPT_SORT_KEYS | orjson.OPT_NAIVE_UTC


def _float(text: str) -> orjson.Fragment:
    value = float(text)
    if value == value and abs(value) != float("inf"):
        return orjson.Fragment(float.__repr__(value))
    # A literal too big for a double: json.loads reads it as infinity, json.dumps writes Infinity.
    return orjson.Fragment("Infinity" if value > 0 else "-Infinity")


def _constant(name: str) -> orjson.Fragment:
    # NaN, Infinity and -Infinity: json.loads accepts them and json.dumps writes them back unchanged.
    return orjson.Fragment(name)


# The standard library's JSON scanner, with floats kept as the text json.dumps writes for them.
_scan = cast(Any, json.JSONDecoder(parse_float=_float, parse_constant=_constant)).scan_once
_fromisoformat = datetime.fromisoformat
_sha256 = hashlib.sha256


class Unusual(ValueError):
    """A row the fast text is not certain for: it is hashed the exact way."""


def sqlite_canonical(row: tuple[Any, ...]) -> bytes:
    """The canonical text of a SQLite row of COLUMNS, ``created_at`` as its stored text.

    Django writes timestamps there as naive UTC text and reads them back with parse_datetime, which
    tries ``fromisoformat`` first, then makes them aware in the connection's time zone (UTC).
    """
    created_at = _fromisoformat(row[2])
    if created_at.tzinfo is not None or float in (row[1].__class__, row[3].__class__, row[4].__class__):
        # An offset; or a REAL in an integer column, which SQLite keeps (orjson writes infinity as null).
        raise Unusual(row[0])
    return _dumps(row, created_at)


def postgresql_canonical(row: tuple[Any, ...]) -> bytes:
    """The canonical text of a PostgreSQL row of COLUMNS: ``created_at`` aware, in the session's UTC."""
    return _dumps(row, row[2])


def _dumps(row: tuple[Any, ...], created_at: datetime) -> bytes:
    # JSONField.from_db_value is json.loads(text): the same scanner, from the first character to
    # the last (json.loads would also skip white space around it; such text is hashed the exact way).
    # Not orjson.loads, three times faster: it reads an integer beyond 64 bits as a float, so an
    # attacker's integer could pass for the float it replaced (tests/test_verify_same_verdicts.py).
    data = row[10]
    try:
        value, end = _scan(data, 0)
    except StopIteration:  # no JSON value at the start
        raise Unusual(row[0]) from None
    if end != len(data):
        raise Unusual(row[0])
    return orjson.dumps(
        {
            "seq": row[1],
            "created_at": created_at,
            "organization": row[3],
            "actor": row[4],
            "actor_label": row[5],
            "action": row[6],
            "object_type": row[7],
            "object_id": row[8],
            "object_label": row[9],
            "data": value,
            "prev_hash": row[11],
        },
        option=OPTIONS,
    )


def exact_hash(pk: int) -> str | None:
    """The entry's hash computed the way ``record`` computed it, or None if it cannot be computed."""
    try:
        entry = JournalEntry.objects.filter(pk=pk).first()
        return entry_hash(entry) if entry is not None else None
    except (TypeError, ValueError, AttributeError, RecursionError):
        # Content no entry could have been written with (a timestamp that is not one, bytes,
        # a lone surrogate): altered.
        return None


@dataclass
class Stretch:
    """What one stretch of sequence numbers holds, checked on its own.

    The first entry's sequence number and link are not checked here: the stretch before it decides
    what they must be (verify.py). Its content is, and everything after it is checked as
    verify_chain does, counting on from the first entry's sequence number.
    """

    first: tuple[Any, int, str] | None = None  # (seq, pk, prev_hash) of the first entry; None if empty
    checked: int = 0  # entries read, up to and including the first problem
    # (seq, pk, kind, expected) of the first problem; kinds as in verify.Problem, or "first" for a
    # first entry whose sequence number is not a whole number (verify.py names it at the joint).
    problem: tuple[Any, int, str, Any] | None = None
    next_seq: int | None = None  # the sequence number the entry after the last one must have
    last_hash: str | None = None
    rechecked: int = 0  # entries hashed the exact way


def _select() -> str:
    quote = connection.ops.quote_name
    columns = [quote(c) for c in COLUMNS]
    if connection.vendor == "sqlite":
        # The stored text, without the converter Django registers for "datetime" columns.
        columns[2] = f"CAST({columns[2]} AS TEXT)"
    seq, table = quote("seq"), quote(JournalEntry._meta.db_table)
    # The query verify_chain always made: the seq index read from a point on. An upper bound in SQL
    # made PostgreSQL, with statistics not yet gathered after a bulk load, sort the whole rest of
    # the stretch for every batch; it is applied to the rows instead (``_within``).
    # Only quoted names of our own table and columns are put in; every value is a parameter.
    return f"SELECT {', '.join(columns)} FROM {table} WHERE {seq} > %s ORDER BY {seq} LIMIT %s"  # noqa: S608


def _within(seq: Any, up_to: int) -> bool:
    # As SQL compares: SQLite sorts text (an altered sequence number) after every number.
    return seq.__class__ in (int, float) and seq <= up_to


def fast_canonical() -> Callable[[tuple[Any, ...]], bytes]:
    """The function writing the canonical text of a row of COLUMNS on this connection.

    Django reads timestamps in the connection's time zone: UTC unless a database TIME_ZONE is set.
    Where it is not UTC, every row is hashed the exact way.
    """
    if connection.timezone is not UTC:
        return _no_fast_text
    if connection.vendor == "sqlite":
        return sqlite_canonical
    if connection.vendor == "postgresql":
        connection.ensure_connection()
        if connection.connection.info.parameter_status("TimeZone") == "UTC":
            return postgresql_canonical
    return _no_fast_text


def _no_fast_text(row: tuple[Any, ...]) -> bytes:
    raise Unusual(row[0])


def batches(after: Any, batch_size: int) -> Generator[list[tuple[Any, ...]], None, None]:
    """The rows of COLUMNS with ``seq > after``, in sequence order, ``batch_size`` at a time."""
    sql = _select()
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # psycopg's own loader, in C: Django's subclass, in Python, costs 3 µs a row only to set
            # the tzinfo to UTC again, which the session's time zone already is (fast_canonical).
            cursor.cursor.adapters.register_loader("timestamptz", TimestamptzLoader)
        while True:
            cursor.execute(sql, [after, batch_size])
            rows = cursor.fetchall()
            if not rows:
                return
            yield rows
            after = rows[-1][1]


def check_stretch(after: int, up_to: int | None, *, batch_size: int) -> Stretch:
    """Check the entries with ``after < seq <= up_to`` (no upper bound if None), in sequence order."""
    canonical = fast_canonical()
    stretch = Stretch()
    with closing(batches(after, batch_size)) as source:
        for rows in source:
            last = up_to is not None and not _within(rows[-1][1], up_to)
            if last and up_to is not None:
                # The stretch ends in this batch: its rows up to that end are checked, then no more.
                rows = [row for row in rows if _within(row[1], up_to)]
            _check_rows(rows, stretch, canonical)
            if last or stretch.problem is not None:
                break
    return stretch


def _check_rows(
    rows: list[tuple[Any, ...]], stretch: Stretch, canonical: Callable[[tuple[Any, ...]], bytes]
) -> None:
    """Go on checking ``stretch`` with the next rows; stop at the first problem."""
    checked, rechecked = stretch.checked, stretch.rechecked
    expected_seq, prev_hash = stretch.next_seq, stretch.last_hash
    sha256 = _sha256
    try:
        for row in rows:
            checked += 1
            seq = row[1]
            if expected_seq is None:
                stretch.first = (seq, row[0], row[11])
                if seq.__class__ is not int and not (seq.__class__ is float and seq.is_integer()):
                    # No count reaches this (text in SQLite): nothing after it is checked.
                    stretch.problem = (seq, row[0], "first", None)
                    return
                expected_seq = int(seq)
            elif seq != expected_seq:
                stretch.problem = (seq, row[0], "sequence", expected_seq)
                return
            elif row[11] != prev_hash:
                stretch.problem = (seq, row[0], "link", None)
                return
            stored_hash = row[12]
            try:
                intact = sha256(canonical(row)).hexdigest() == stored_hash
            except Exception:  # noqa: BLE001 - unusual or no fast text (scan.py's docstring): the exact way decides
                intact = False
            if not intact:
                rechecked += 1
                if exact_hash(row[0]) != stored_hash:
                    stretch.problem = (seq, row[0], "content", None)
                    return
            prev_hash = stored_hash
            expected_seq += 1
    finally:
        stretch.checked, stretch.rechecked = checked, rechecked
        stretch.next_seq, stretch.last_hash = expected_seq, prev_hash

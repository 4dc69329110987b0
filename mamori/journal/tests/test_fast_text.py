"""The fast text (scan.py) is byte for byte chain.canonical of the model instance, awkward data too.

Each entry is written through ``record`` (so its hash is the real one), read back as verify_chain
reads it, and its fast text compared with chain.canonical(chain.entry_payload(entry)) of the same row
loaded as a model instance: on SQLite, which keeps the JSON text Django wrote and timestamps as text,
and on PostgreSQL, whose jsonb changes key order and number formatting. A row the fast text is not
certain for must raise (and is then hashed the exact way), never give other bytes.
"""

import json
import random
import struct
from datetime import UTC, datetime, timedelta, timezone

import orjson
import pytest
from django.db import connection, transaction
from hypothesis import given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from mamori.journal import scan
from mamori.journal.chain import canonical, entry_payload
from mamori.journal.models import JournalEntry
from mamori.journal.services import record
from mamori.journal.verify import verify

from .reference import reference_verify_chain, verdict

pytestmark = pytest.mark.django_db

AWKWARD: dict[str, dict] = {
    "empty": {},
    "floats": {
        "big": 1e16,
        "small": 1e-05,
        "tenth": 0.1,
        "negative zero": -0.0,
        "huge": 1.5e300,
        "tiny": 5e-324,
        "whole": 2.0,
        "in a list": [1.5, -2.25e-7, 123456789012345680.0],
    },
    "integers to 64 bits": {"u64": 2**64 - 1, "i64": -(2**63), "zero": 0, "negative": -1},
    "integers beyond 64 bits": {"beyond": 2**64, "far beyond": 10**30, "below": -(2**63) - 1},
    "japanese": {"説明": "不審メールの添付ファイルを開いた。", "場所": "本庁舎３階　総務課", "半角": "ｶﾀｶﾅ"},
    "astral characters": {"😀": "𠮷野家 🎉", "last\U0010ffff": "\U0010ffff"},
    "control characters": {"text": "".join(chr(c) for c in range(1, 32)) + "\x7f\x80\x9f"},
    "line separators": {"text": "a\u2028b\u2029c\x85d\r\n", "\u2028": 1},
    "escapes": {
        "quote": '"',
        "backslash": "\\",
        "slash": "/",
        "html": "<a href='x'>&amp;</a>",
        "bom": "\ufeff",
    },
    "nested": {"z": [{"b": 1, "a": [True, False, None, {"y": [], "x": {}}]}], "a": {"d": {"c": [[[]]]}}},
    "key order": {
        key: n
        for n, key in enumerate(
            ["b", "a", "B", "", "ab", "é", "e\u0301", "Ａ", "あ", "😀", "\ue000", "\uffff", "a b"]
        )
    },
    "empty strings": {"": "", "list": [""]},
    "bools and nulls": {"t": True, "f": False, "n": None, "one": 1},
    "long text": {"text": "あ" * 20000},
}
# orjson writes integers of up to 64 bits; beyond, the exact way hashes the entry.
UNUSUAL = {"integers beyond 64 bits"}
MOMENTS = {
    "now": None,
    "whole second": datetime(2025, 4, 1, 9, 0, 0, tzinfo=UTC),
    "one microsecond": datetime(2025, 4, 1, 9, 0, 0, 1, tzinfo=UTC),
    "tokyo time": datetime(2025, 4, 1, 9, 0, 0, 500000, tzinfo=timezone(timedelta(hours=9))),
    "year 1": datetime(1, 1, 2, tzinfo=UTC),
    "year 999": datetime(999, 12, 31, 23, 59, 59, 999999, tzinfo=UTC),
    "year 9999": datetime(9999, 12, 30, tzinfo=UTC),
}


def write(data: dict, at: datetime | None = None) -> JournalEntry:
    with transaction.atomic():
        return record(actor="test", action="test.event", object_type="test", object_id="1", data=data, at=at)


def row_of(entry: JournalEntry) -> tuple:
    """The entry's row as verify_chain reads it."""
    return next(scan.batches(entry.seq - 1, 1))[0]


def exact_text(entry: JournalEntry) -> bytes:
    return canonical(entry_payload(JournalEntry.objects.get(pk=entry.pk)))


@pytest.mark.parametrize("name", AWKWARD)
def test_fast_text_of_awkward_data_is_the_canonical_text(name):
    entry = write(AWKWARD[name])
    row = row_of(entry)
    # PostgreSQL's jsonb writes 1.5e300 as its 301 digits, read back as an integer beyond 64 bits.
    if name in UNUSUAL or (name == "floats" and connection.vendor == "postgresql"):
        with pytest.raises((TypeError, ValueError)):
            scan.fast_canonical()(row)
    else:
        assert scan.fast_canonical()(row) == exact_text(entry)


@pytest.mark.parametrize("name", MOMENTS)
def test_fast_text_of_timestamps_is_the_canonical_text(name):
    entry = write({"moment": name}, at=MOMENTS[name])
    assert scan.fast_canonical()(row_of(entry)) == exact_text(entry)


def test_fast_text_of_an_entry_with_actor_and_organisation_is_the_canonical_text(komae):
    with transaction.atomic():
        entry = record(
            actor=komae.csirt_manager,
            action="test.event",
            obj=komae.csirt_manager,
            organization=komae.organization,
        )
    assert entry.actor_id and entry.organization_id
    assert scan.fast_canonical()(row_of(entry)) == exact_text(entry)


def test_a_journal_of_awkward_entries_gets_the_verdict_it_always_got():
    for data in AWKWARD.values():
        write(data)
    for at in MOMENTS.values():
        write({}, at=at)
    result = verify(batch_size=4)
    # On PostgreSQL, jsonb writes 1e16 as 10000000000000000, which reads back as an integer: that
    # entry never matched its hash there, and does not now. The verdict is what must not change.
    checked, problem = reference_verify_chain()
    assert (result.checked, verdict(result.problem)) == (checked, verdict(problem))
    # Only entries orjson cannot write were hashed the exact way (and the broken one, if any).
    assert result.rechecked <= len(UNUSUAL) + 1 + (problem is not None)


JSON_VALUES = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=False, allow_infinity=False)  # record() cannot store NaN: nor can the columns
    | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=12,
)


@hypothesis_settings(max_examples=150, derandomize=True, database=None, deadline=None)
@given(data=st.dictionaries(st.text(max_size=8), JSON_VALUES, max_size=6))
def test_fast_text_never_differs_from_the_canonical_text(data):
    entry = write(data)
    try:
        fast = scan.fast_canonical()(row_of(entry))
    except (TypeError, ValueError):
        return  # hashed the exact way
    assert fast == exact_text(entry)


def test_orjson_writes_every_character_as_json_dumps_does():
    for start in range(0, 0x110000, 0x1000):
        text = "".join(chr(c) for c in range(start, start + 0x1000) if not 0xD800 <= c <= 0xDFFF)
        payload = {text: text, "k": [text]}
        assert orjson.dumps(payload, option=scan.OPTIONS) == canonical(payload)


def test_orjson_sorts_keys_as_json_dumps_does():
    rng = random.Random(6)
    alphabet = ["a", "B", "é", "\u3042", "\uffff", "\U00010000", "\U0001f600", "\U0010ffff", " ", "~"]
    for _ in range(200):
        payload = {"".join(rng.choices(alphabet, k=rng.randint(0, 4))): n for n in range(20)}
        assert orjson.dumps(payload, option=scan.OPTIONS) == canonical(payload)


def test_floats_are_written_as_json_dumps_writes_them():
    rng = random.Random(6)
    values = [struct.unpack("<d", rng.getrandbits(64).to_bytes(8, "little"))[0] for _ in range(20000)]
    values += [0.0, -0.0, 1e16, 1e-5, 0.1, 5e-324, 1.7976931348623157e308, float("inf"), float("-inf")]
    texts = [json.dumps(value) for value in values]  # as Django writes them to SQLite
    texts += ["1E400", "-1e400", "NaN", "Infinity", "-Infinity", "1.0", "-0.0", "0e10", "1e-7", "1.5E+3"]
    for text in texts:
        parsed, _end = scan._scan(f"[{text}]", 0)
        assert orjson.dumps(parsed) == canonical(json.loads(f"[{text}]")), text


def test_unusual_rows_raise_rather_than_differ():
    entry = write({"a": 1})
    row = row_of(entry)
    fast = scan.fast_canonical()
    changed = [
        row[:10] + (" " + row[10],) + row[11:],  # white space json.loads would skip
        row[:10] + ("not json",) + row[11:],
        row[:10] + (b"{}",) + row[11:],
        row[:5] + (b"bytes",) + row[6:],
    ]
    if row[2].__class__ is str:  # SQLite: the stored text of the timestamp
        changed += [
            row[:2] + (row[2] + "+09:00",) + row[3:],
            row[:2] + ("yesterday",) + row[3:],
            row[:4] + (float("inf"),) + row[5:],
        ]
    for unusual in changed:
        with pytest.raises((TypeError, ValueError)):
            fast(unusual)

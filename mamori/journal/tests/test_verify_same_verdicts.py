"""Every kind of tampering gets the verdict the entry-by-entry check always gave (tests/reference.py).

The same first problem, in the same words, with the same count of entries checked: whether the
chain is read in one pass or in stretches joined afterwards (verify.py), wherever the tampered entry
falls (first, last, at a joint between stretches, at a joint between batches), and on whatever an
attacker with database access can put in a column. Most tests run in a transaction no other process
sees, so their stretches are checked one after another in this process, joined as ever; the last ones
commit their entries and fork (PostgreSQL: the tests' SQLite database lives in this process's memory).
"""

import pytest
from django.db import connection, transaction

from mamori.journal import verify as verify_module
from mamori.journal.chain import entry_hash
from mamori.journal.models import JournalEntry, JournalHead
from mamori.journal.services import record
from mamori.journal.verify import verify, verify_chain

from .reference import reference_verify_chain, verdict
from .test_verify import raw

pytestmark = pytest.mark.django_db

ENTRIES = 12
# Stretches (0, 4], (4, 8], (8, ...) with processes=3; batches of 1, 2, 5 and 5000.
PROCESSES = [1, 2, 3, 5, 12, 20]
BATCHES = [1, 2, 5, 5000]
# First, last, each side of the joints of 2, 3 and 5 stretches, and between.
POSITIONS = [1, 2, 4, 5, 6, 7, 8, 9, 12]


def write_entries(n: int = ENTRIES) -> list[JournalEntry]:
    with transaction.atomic():
        return [
            record(
                actor="test",
                action="test.event",
                object_type="test",
                object_id=str(i),
                data={"i": i, "v": None},
            )
            for i in range(n)
        ]


def assert_same_verdict() -> tuple:
    expected = reference_verify_chain()
    expected = (expected[0], verdict(expected[1]))
    for processes in PROCESSES:
        for batch_size in BATCHES:
            checked, problem = verify_chain(batch_size, processes=processes)
            assert (checked, verdict(problem)) == expected, (processes, batch_size)
    return expected


def entry(entries: list[JournalEntry], seq: int) -> JournalEntry:
    return entries[seq - 1]


def change_content(entries, seq):
    raw("UPDATE journal_journalentry SET action = 'test.evenT' WHERE id = %s", [entry(entries, seq).pk])


def break_link(entries, seq):
    raw("UPDATE journal_journalentry SET prev_hash = %s WHERE id = %s", ["f" * 64, entry(entries, seq).pk])


def change_hash(entries, seq):
    raw("UPDATE journal_journalentry SET hash = %s WHERE id = %s", ["e" * 64, entry(entries, seq).pk])


def remove(entries, seq):
    raw("DELETE FROM journal_journalentry WHERE id = %s", [entry(entries, seq).pk])


def remove_two(entries, seq):
    raw("DELETE FROM journal_journalentry WHERE seq IN (%s, %s)", [seq, seq + 1])


def swap_with_next(entries, seq):
    if seq == ENTRIES:
        seq -= 1
    a, b = entry(entries, seq), entry(entries, seq + 1)
    raw("UPDATE journal_journalentry SET seq = 1000 WHERE id = %s", [a.pk])
    raw("UPDATE journal_journalentry SET seq = %s WHERE id = %s", [seq, b.pk])
    raw("UPDATE journal_journalentry SET seq = %s WHERE id = %s", [seq + 1, a.pk])


def renumber_from(entries, seq):
    raw("UPDATE journal_journalentry SET seq = seq + 100 WHERE seq >= %s", [seq])


def insert_forged(entries, seq):
    """A new entry with a correct hash of its own, put in before ``seq``."""
    raw("UPDATE journal_journalentry SET seq = seq + 100 WHERE seq >= %s", [seq])
    raw("UPDATE journal_journalentry SET seq = seq - 99 WHERE seq >= %s", [seq + 100])
    before = entry(entries, seq - 1).hash if seq > 1 else "0" * 64
    forged = JournalEntry(
        seq=seq,
        created_at=entry(entries, seq).created_at,
        actor_label="attacker",
        action="x",
        object_type="t",
        object_id="1",
        data={},
        prev_hash=before,
    )
    forged.hash = entry_hash(forged)
    forged.save()


def change_data(text):
    def tamper(entries, seq):
        raw("UPDATE journal_journalentry SET data = %s WHERE id = %s", [text, entry(entries, seq).pk])

    return tamper


TAMPERING = {
    "content": change_content,
    "link": break_link,
    "hash": change_hash,
    "removed": remove,
    "two removed": remove_two,
    "swapped": swap_with_next,
    "renumbered": renumber_from,
    "inserted": insert_forged,
    "data: a float for an integer": change_data('{"i": 1.0, "v": null}'),
    "data: 1e400 for null": change_data('{"i": 1, "v": 1e400}'),
    "data: keys reordered": change_data('{"v": null, "i": 0}'),
    "data: a list for the object": change_data('[{"i": 0, "v": null}]'),
    "data: null for the object": change_data("null"),
}


@pytest.mark.parametrize("position", POSITIONS)
@pytest.mark.parametrize("kind", TAMPERING)
def test_tampering_gets_the_same_verdict(kind, position):
    entries = write_entries()
    TAMPERING[kind](entries, position)
    checked, problem = assert_same_verdict()
    if kind != "data: keys reordered":
        assert problem is not None


def test_an_intact_journal_gets_the_same_verdict():
    write_entries()
    assert assert_same_verdict() == (ENTRIES, None)


def test_an_empty_journal_gets_the_same_verdict():
    assert assert_same_verdict() == (0, None)


@pytest.mark.parametrize("change", ["removed", "wrong hash", "wrong number", "ahead"])
def test_a_wrong_head_gets_the_same_verdict(change):
    write_entries()
    if change == "removed":
        JournalHead.objects.all().delete()
    elif change == "wrong hash":
        JournalHead.objects.update(last_hash="d" * 64)
    elif change == "wrong number":
        JournalHead.objects.update(last_seq=ENTRIES - 1)
    else:
        JournalHead.objects.update(last_seq=ENTRIES + 1)
    assert assert_same_verdict()[1] is not None


def test_the_same_verdict_on_data_as_an_attacker_may_write_it():
    """Text the fast text would parse otherwise than json.loads, or write otherwise than json.dumps."""
    originals = [
        {"v": 1.2345678901234568e29},  # orjson.loads would read the integer below as this float
        {"v": None},  # orjson.dumps writes NaN and infinity as null
        {"v": None},
        {"v": 1e-05},
        {"v": "あ"},
        {"v": [1, {"a": 2}]},
    ]
    changed = [
        '{"v": 123456789012345678901234567890}',
        '{"v": NaN}',
        '{"v": -1e400}',
        '{"v": 0.00001}',  # the same number, written otherwise: no change
        '{"v": "\\u3042"}',  # the same text, escaped: no change
        '{"v": [1, {"a": 2, "a": 3}]}',  # a repeated key: the last one counts
    ]
    for n, data in enumerate(originals):
        with transaction.atomic():
            target = record(actor="test", action="test.event", object_type="t", object_id=str(n), data=data)
        text = changed[n]
        if connection.vendor == "postgresql" and "NaN" in text:
            continue  # jsonb has no NaN
        if connection.vendor == "sqlite":
            # SQLite's json_valid() check refuses NaN; the check can be switched off for the session.
            raw("PRAGMA ignore_check_constraints = 1")
        raw("UPDATE journal_journalentry SET data = %s WHERE id = %s", [text, target.pk])
        if connection.vendor == "sqlite":
            raw("PRAGMA ignore_check_constraints = 0")
        checked, problem = assert_same_verdict()
        if problem is not None:
            # Put it back, so that the next change is checked on its own.
            assert problem[0] == target.seq
            raw("DELETE FROM journal_journalentry WHERE id = %s", [target.pk])
            JournalHead.objects.update(last_seq=target.seq - 1, last_hash=target.prev_hash)


@pytest.mark.skipif(connection.vendor != "sqlite", reason="PostgreSQL's column types refuse these values")
@pytest.mark.parametrize(
    "column,value",
    [
        ("actor_id", 9e999),  # infinity: orjson would write it as null, as the actor was
        ("organization_id", 2.5),
        ("seq", 4.5),
        ("seq", "x"),
        ("created_at", "2025-04-01 09:00:00+09:00"),
        ("created_at", "2025-04-01T00:00:00"),
        ("action", b"test.event"),  # a BLOB
    ],
)
def test_the_same_verdict_on_values_sqlite_keeps_in_any_column(column, value):
    entries = write_entries()
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {column} FROM journal_journalentry WHERE id = %s", [entries[4].pk])
        [original] = cursor.fetchone()
    raw(f"UPDATE journal_journalentry SET {column} = %s WHERE id = %s", [value, entries[4].pk])
    if column == "action":
        # The entry-by-entry check stopped with a TypeError (bytes are no JSON); now it is named.
        with pytest.raises(TypeError):
            reference_verify_chain()
        _checked, problem = verify_chain(processes=3, batch_size=2)
        assert (
            problem is not None and problem.seq == 5 and problem.message == "content does not match its hash"
        )
    else:
        assert assert_same_verdict()[1] is not None
    # Back as it was: the foreign keys are checked when the test ends.
    raw(f"UPDATE journal_journalentry SET {column} = %s WHERE id = %s", [original, entries[4].pk])


@pytest.mark.skipif(connection.vendor != "sqlite", reason="PostgreSQL's timestamp type refuses it")
def test_a_timestamp_that_is_none_is_named_where_the_old_check_stopped():
    entries = write_entries()
    raw("UPDATE journal_journalentry SET created_at = 'yesterday' WHERE id = %s", [entries[6].pk])
    with pytest.raises(AttributeError):
        reference_verify_chain()
    for processes in PROCESSES:
        checked, problem = verify_chain(2, processes=processes)
        assert problem is not None and (checked, problem.seq, problem.kind) == (7, 7, "content")


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the tests' SQLite database is in memory")
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("kind", ["content", "link", "removed", "swapped", "renumbered"])
@pytest.mark.parametrize("position", [10, 11, 21])
def test_stretches_checked_in_several_processes_get_the_same_verdict(kind, position):
    """30 entries in 3 processes: stretches (0, 10], (10, 20] and (20, ...)."""
    entries = write_entries(30)
    result = verify(batch_size=4, processes=3)
    assert (result.checked, result.problem, result.processes) == (30, None, 3)
    TAMPERING[kind](entries, position)
    result = verify(batch_size=4, processes=3)
    assert result.processes == 3
    checked, problem = reference_verify_chain()
    assert (result.checked, verdict(result.problem)) == (checked, verdict(problem))
    assert problem is not None and problem.seq in (position, position + 1, position + 100)


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the tests' SQLite database is in memory")
@pytest.mark.django_db(transaction=True)
def test_a_process_that_fails_fails_the_check(monkeypatch):
    """A stretch that could not be checked is never taken for an intact one."""
    write_entries(30)
    check_stretch = verify_module.check_stretch

    def failing(after, up_to, *, batch_size):
        if after:
            raise OSError("the disk went away")
        return check_stretch(after, up_to, batch_size=batch_size)

    monkeypatch.setattr(verify_module, "check_stretch", failing)  # the children are forked with it
    with pytest.raises(RuntimeError, match="the disk went away"):
        verify(processes=3)

"""verify_journal proves the trail: any altered, removed, inserted or reordered entry is named."""

import pytest
from django.core.management import CommandError, call_command
from django.db import connection, transaction

from mamori.journal.chain import entry_hash
from mamori.journal.models import AppendOnlyError, JournalEntry
from mamori.journal.services import JournalOutsideTransaction, record
from mamori.journal.verify import verify_chain

pytestmark = pytest.mark.django_db


def write_entries(n: int) -> list[JournalEntry]:
    with transaction.atomic():
        return [
            record(
                actor="test",
                action="test.event",
                object_type="test",
                object_id=str(i),
                data={"i": i, "text": "不審メール"},
            )
            for i in range(n)
        ]


def raw(sql: str, params=()) -> None:
    """Tamper the way an attacker with database access would: around the ORM and the triggers."""
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("DROP TRIGGER IF EXISTS journal_entry_no_update")
            cursor.execute("DROP TRIGGER IF EXISTS journal_entry_no_delete")
        else:
            # A superuser can switch ordinary triggers off for the session (as replication does).
            cursor.execute("SET session_replication_role = replica")
        cursor.execute(sql, params)
        if connection.vendor == "postgresql":
            cursor.execute("SET session_replication_role = DEFAULT")


def first_problem_seq():
    _checked, problem = verify_chain()
    return problem.seq if problem else None


def test_intact_journal_verifies():
    write_entries(5)
    checked, problem = verify_chain()
    assert problem is None and checked == 5
    call_command("verify_journal")


# One byte changed in any stored column of entry #3 is detected at entry #3.
@pytest.mark.parametrize(
    "column,value",
    [
        ("action", "test.evenT"),
        ("object_id", "9"),
        ("object_label", "x"),
        ("actor_label", "tesT"),
        ("data", '{"i": 2, "text": "不審メーム"}'),
        ("prev_hash", None),
        ("hash", None),
    ],
)
def test_one_byte_change_of_any_column_is_named(column, value):
    entries = write_entries(5)
    target = entries[2]
    if value is None:
        original = getattr(target, column)
        value = original[:-1] + ("0" if original[-1] != "0" else "1")
    raw(f"UPDATE journal_journalentry SET {column} = %s WHERE id = %s", [value, target.pk])
    assert first_problem_seq() == 3
    with pytest.raises(CommandError, match="#3"):
        call_command("verify_journal")


def test_changed_timestamp_is_detected():
    entries = write_entries(3)
    raw(
        "UPDATE journal_journalentry SET created_at = %s WHERE id = %s",
        [
            entries[1].created_at.replace(microsecond=(entries[1].created_at.microsecond + 1) % 1000000),
            entries[1].pk,
        ],
    )
    assert first_problem_seq() == 2


def test_removed_entry_is_detected():
    entries = write_entries(5)
    raw("DELETE FROM journal_journalentry WHERE id = %s", [entries[1].pk])
    assert first_problem_seq() == 3  # entry #3 now follows #1


def test_removed_last_entry_is_detected_by_the_head():
    entries = write_entries(4)
    raw("DELETE FROM journal_journalentry WHERE id = %s", [entries[-1].pk])
    _checked, problem = verify_chain()
    assert problem is not None and "head" in problem.message


def test_inserted_entry_is_detected():
    entries = write_entries(3)
    forged = JournalEntry(
        seq=2,
        created_at=entries[1].created_at,
        actor_label="attacker",
        action="x",
        object_type="t",
        object_id="1",
        data={},
        prev_hash=entries[0].hash,
    )
    forged.hash = entry_hash(forged)
    raw("UPDATE journal_journalentry SET seq = seq + 10 WHERE seq >= 2")
    forged.save()
    assert first_problem_seq() is not None


def test_reordered_entries_are_detected():
    entries = write_entries(4)
    raw("UPDATE journal_journalentry SET seq = 100 WHERE id = %s", [entries[1].pk])
    raw("UPDATE journal_journalentry SET seq = 2 WHERE id = %s", [entries[2].pk])
    raw("UPDATE journal_journalentry SET seq = 3 WHERE id = %s", [entries[1].pk])
    assert first_problem_seq() == 2


def test_the_database_refuses_updates_and_deletes():
    [entry] = write_entries(1)
    with pytest.raises(Exception), transaction.atomic(), connection.cursor() as cursor:  # noqa: B017
        cursor.execute("UPDATE journal_journalentry SET action = 'x' WHERE id = %s", [entry.pk])
    with pytest.raises(Exception), transaction.atomic(), connection.cursor() as cursor:  # noqa: B017
        cursor.execute("DELETE FROM journal_journalentry WHERE id = %s", [entry.pk])
    assert JournalEntry.objects.get(pk=entry.pk).action == "test.event"


def test_the_orm_refuses_changes():
    [entry] = write_entries(1)
    with pytest.raises(AppendOnlyError):
        entry.save()
    with pytest.raises(AppendOnlyError):
        entry.delete()


@pytest.mark.django_db(transaction=True)
def test_record_outside_a_transaction_is_refused():
    with pytest.raises(JournalOutsideTransaction):
        record(actor="test", action="x", object_type="t", object_id="1")

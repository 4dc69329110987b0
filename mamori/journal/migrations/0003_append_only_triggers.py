"""The database itself refuses UPDATE and DELETE on journal entries.

The hash chain proves tampering after the fact; these triggers stop the ordinary mistakes (an ORM
bulk update, a careless SQL console) before they happen. Someone with rights to drop triggers can
still alter rows, and verify_journal will then name the first altered entry.
"""

from django.db import migrations

SQLITE = [
    """CREATE TRIGGER journal_entry_no_update BEFORE UPDATE ON journal_journalentry
       BEGIN SELECT RAISE(ABORT, 'journal entries are append-only'); END;""",
    """CREATE TRIGGER journal_entry_no_delete BEFORE DELETE ON journal_journalentry
       BEGIN SELECT RAISE(ABORT, 'journal entries are append-only'); END;""",
]
SQLITE_REVERSE = ["DROP TRIGGER journal_entry_no_update;", "DROP TRIGGER journal_entry_no_delete;"]

POSTGRES = [
    """CREATE FUNCTION journal_entry_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
       BEGIN RAISE EXCEPTION 'journal entries are append-only'; END; $$;""",
    """CREATE TRIGGER journal_entry_append_only BEFORE UPDATE OR DELETE ON journal_journalentry
       FOR EACH ROW EXECUTE FUNCTION journal_entry_append_only();""",
]
POSTGRES_REVERSE = [
    "DROP TRIGGER journal_entry_append_only ON journal_journalentry;",
    "DROP FUNCTION journal_entry_append_only();",
]


def forwards(apps, schema_editor):
    statements = {"sqlite": SQLITE, "postgresql": POSTGRES}.get(schema_editor.connection.vendor, [])
    for sql in statements:
        schema_editor.execute(sql)


def backwards(apps, schema_editor):
    statements = {"sqlite": SQLITE_REVERSE, "postgresql": POSTGRES_REVERSE}.get(schema_editor.connection.vendor, [])
    for sql in statements:
        schema_editor.execute(sql)


class Migration(migrations.Migration):
    dependencies = [("journal", "0002_foreign_keys")]
    operations = [migrations.RunPython(forwards, backwards)]

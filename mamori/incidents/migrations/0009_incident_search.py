"""The search table of incidents and its full-text index (docs/adr/0008-japanese-search.md).

SQLite: an FTS5 table reading its text from incidents_incidentsearch, kept equal to it by triggers.
PostgreSQL: a GIN index on to_tsvector('simple', grams). Frozen copies: search.py holds the live ones.
"""

import django.db.models.deletion
from django.db import migrations, models

SQLITE = [
    """CREATE VIRTUAL TABLE incidents_search_fts USING fts5(
        grams, content='incidents_incidentsearch', content_rowid='incident_id',
        tokenize="unicode61 remove_diacritics 0 categories 'L* N* M* P* S* C*'"
    )""",
    """CREATE TRIGGER incidents_search_fts_insert AFTER INSERT ON incidents_incidentsearch
    BEGIN
        INSERT INTO incidents_search_fts(rowid, grams) VALUES (new.incident_id, new.grams);
    END""",
    """CREATE TRIGGER incidents_search_fts_delete AFTER DELETE ON incidents_incidentsearch
    BEGIN
        INSERT INTO incidents_search_fts(incidents_search_fts, rowid, grams)
        VALUES ('delete', old.incident_id, old.grams);
    END""",
    """CREATE TRIGGER incidents_search_fts_update AFTER UPDATE ON incidents_incidentsearch
    WHEN old.grams IS NOT new.grams OR old.incident_id IS NOT new.incident_id
    BEGIN
        INSERT INTO incidents_search_fts(incidents_search_fts, rowid, grams)
        VALUES ('delete', old.incident_id, old.grams);
        INSERT INTO incidents_search_fts(rowid, grams) VALUES (new.incident_id, new.grams);
    END""",
]
SQLITE_REVERSE = [
    "DROP TRIGGER incidents_search_fts_update",
    "DROP TRIGGER incidents_search_fts_delete",
    "DROP TRIGGER incidents_search_fts_insert",
    "DROP TABLE incidents_search_fts",
]

POSTGRES = [
    "CREATE INDEX incidents_search_grams_gin ON incidents_incidentsearch USING gin (to_tsvector('simple', grams))",
]
POSTGRES_REVERSE = ["DROP INDEX incidents_search_grams_gin"]


def forwards(apps, schema_editor):
    for sql in {"sqlite": SQLITE, "postgresql": POSTGRES}.get(schema_editor.connection.vendor, []):
        schema_editor.execute(sql)


def backwards(apps, schema_editor):
    for sql in {"sqlite": SQLITE_REVERSE, "postgresql": POSTGRES_REVERSE}.get(schema_editor.connection.vendor, []):
        schema_editor.execute(sql)


class Migration(migrations.Migration):

    dependencies = [
        ("incidents", "0008_incident_contained_at"),
        ("people", "0002_user_must_change_password_user_password_changed_at"),
    ]

    operations = [
        migrations.CreateModel(
            name="IncidentSearch",
            fields=[
                (
                    "incident",
                    models.OneToOneField(
                        on_delete=django.db.models.deletion.CASCADE,
                        primary_key=True,
                        related_name="+",
                        serialize=False,
                        to="incidents.incident",
                        verbose_name="incident",
                    ),
                ),
                ("grams", models.TextField(verbose_name="character bigrams")),
                (
                    "organization",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="+",
                        to="people.organization",
                        verbose_name="organisation",
                    ),
                ),
            ],
            options={
                "verbose_name": "search text",
                "verbose_name_plural": "search texts",
            },
        ),
        migrations.RunPython(forwards, backwards),
    ]

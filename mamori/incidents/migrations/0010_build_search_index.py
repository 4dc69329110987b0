"""Build the search documents of the incidents recorded before the index existed.

Uses the tokeniser of mamori.incidents.search as it is when the migration runs: the index must match
the queries of the code installed. A later change of the tokeniser comes with its own migration that
rebuilds the index (or a note to run ``manage.py rebuild_search_index``). About a minute per 100,000
incidents; an installation may also skip nothing here and rebuild again later with the command.
"""

from django.db import migrations


def build(apps, schema_editor):
    from mamori.incidents import search

    if search.rebuild(apps=apps):
        search.finish_rebuild()


class Migration(migrations.Migration):

    dependencies = [
        ("incidents", "0009_incident_search"),
        ("intake", "0002_foreign_keys"),
    ]

    operations = [migrations.RunPython(build, migrations.RunPython.noop)]

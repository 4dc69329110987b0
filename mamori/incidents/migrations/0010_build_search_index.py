"""Write the search documents of the incidents recorded before the index existed, then refresh the
planner statistics (docs/adr/0008-japanese-search.md).

Uses the tokenizer of mamori.incidents.search as it is when the migration runs: the documents must match
the queries of the code installed. A later change of the tokenizer comes with its own migration (or note)
to rebuild them. Takes about 15 to 30 seconds per 100,000 incidents; ``manage.py rebuild_search_index``
does the same work again at any time.
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

from django.db import migrations, models


def backfill(apps, schema_editor):
    """Incidents that already moved to recovery: the journal holds when (the first start_recovery)."""
    Incident = apps.get_model("incidents", "Incident")
    JournalEntry = apps.get_model("journal", "JournalEntry")
    first: dict[str, object] = {}
    entries = JournalEntry.objects.filter(action="incident.start_recovery", object_type="incidents.incident")
    for object_id, created_at in entries.order_by("seq").values_list("object_id", "created_at").iterator():
        first.setdefault(object_id, created_at)
    for object_id, at in first.items():
        Incident.objects.filter(pk=int(object_id), contained_at__isnull=True).update(contained_at=at)


class Migration(migrations.Migration):

    dependencies = [
        ("incidents", "0007_incidentmember"),
        ("journal", "0003_append_only_triggers"),
    ]

    operations = [
        migrations.AddField(
            model_name="incident",
            name="contained_at",
            field=models.DateTimeField(blank=True, null=True, verbose_name="contained at"),
        ),
        migrations.RunPython(backfill, migrations.RunPython.noop),
    ]

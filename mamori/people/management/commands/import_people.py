"""Import people and role assignments from a CSV file, as the /people/import/ page does."""

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from mamori.people.csv_import import MAX_BYTES, ImportFileError, import_people
from mamori.people.models import Organization

ACTOR = "manage.py import_people"


class Command(BaseCommand):
    help = (
        "Import people from a CSV file (UTF-8 or Shift_JIS). All rows or none; "
        "imported people get no usable password."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", type=Path, help="the CSV file")
        parser.add_argument("--organization", required=True, help="organisation key")
        parser.add_argument("--dry-run", action="store_true", help="check only; save nothing")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            organization = Organization.objects.get(key=options["organization"])
        except Organization.DoesNotExist:
            raise CommandError(
                _("No organisation with key %(key)s.") % {"key": options["organization"]}
            ) from None
        path: Path = options["file"]
        try:
            if path.stat().st_size > MAX_BYTES:
                raise CommandError(
                    _("The file is larger than %(size)s MB.") % {"size": MAX_BYTES // 1024 // 1024}
                )
            data = path.read_bytes()
        except OSError as e:
            raise CommandError(str(e)) from None
        try:
            result = import_people(organization, data, actor=ACTOR, dry_run=options["dry_run"])
        except ImportFileError as e:
            raise CommandError("\n".join(e.messages)) from None
        for error in result.errors:
            self.stderr.write(
                _("row %(row)s, %(column)s: %(message)s")
                % {"row": error.row, "column": error.column or "-", "message": error.message}
            )
        if result.errors:
            raise CommandError(_("%(count)s problems; nothing was imported.") % {"count": len(result.errors)})
        summary = _(
            "%(created)s new, %(updated)s updated, %(unchanged)s unchanged; %(assignments)s role assignments."
        ) % {
            "created": result.created,
            "updated": result.updated,
            "unchanged": result.unchanged,
            "assignments": result.assignments,
        }
        if result.saved:
            self.stdout.write(self.style.SUCCESS(_("Imported: %(summary)s") % {"summary": summary}))
        else:
            self.stdout.write(_("Dry run, nothing saved: %(summary)s") % {"summary": summary})

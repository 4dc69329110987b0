"""``manage.py ingest_mail``: file a report mail from standard input (an MTA pipe) or a Maildir."""

import mailbox
import os
import sys

from django.core.management.base import BaseCommand, CommandError
from django.db import DatabaseError
from django.utils.translation import gettext as _

from mamori.incidents.errors import Invalid, ServiceError
from mamori.intake.mail import FAILED_FOLDER, ingest_maildir, ingest_message, intake_organization
from mamori.people.models import Organization
from mamori.policy.services import NoActivePolicy

# Exit codes an MTA understands (sysexits.h): a pipe that exits EX_TEMPFAIL makes Postfix or Exim
# keep the mail queued and try again, so a database outage or a missing setting loses no report;
# EX_DATAERR bounces what is not a mail at all back to its sender.
EX_DATAERR = getattr(os, "EX_DATAERR", 65)
EX_TEMPFAIL = getattr(os, "EX_TEMPFAIL", 75)


class Command(BaseCommand):
    help = "File a report mail read from standard input, or every mail in a Maildir (--maildir PATH)."

    def add_arguments(self, parser):
        parser.add_argument("--maildir", help="path of a Maildir to read instead of standard input")
        parser.add_argument(
            "--organization", help="key of the organisation (default: MAMORI_ORGANIZATION or the only one)"
        )

    def handle(self, *args, **options):
        try:
            organization = self._organization(options["organization"])
            if options["maildir"]:
                self._maildir(options["maildir"], organization)
            else:
                self._stdin(organization)
        except Invalid as exc:
            raise CommandError(str(exc.message), returncode=EX_DATAERR) from None
        except ServiceError as exc:
            raise CommandError(str(exc.message), returncode=EX_TEMPFAIL) from None
        except NoActivePolicy:
            raise CommandError(
                _("The organisation has no policy loaded; load one with manage.py load_policy."),
                returncode=EX_TEMPFAIL,
            ) from None
        except DatabaseError as exc:
            raise CommandError(
                _("The database failed; try again later (%(error)s).") % {"error": exc},
                returncode=EX_TEMPFAIL,
            ) from None

    def _organization(self, key: str | None) -> Organization:
        if not key:
            return intake_organization()
        organization = Organization.objects.filter(key=key).first()
        if organization is None:
            raise CommandError(
                _("No organisation with the key %(key)s.") % {"key": key}, returncode=EX_TEMPFAIL
            )
        return organization

    def _stdin(self, organization: Organization) -> None:
        stream = getattr(sys.stdin, "buffer", sys.stdin)
        raw = stream.read()
        if isinstance(raw, str):
            raw = raw.encode("utf-8", errors="surrogateescape")
        if not raw.strip():
            raise CommandError(_("No mail on standard input."), returncode=EX_DATAERR)
        received = ingest_message(organization, raw)
        reference = received.report.reference
        if received.duplicate:
            self.stdout.write(
                _("%(reference)s: already received; not filed again") % {"reference": reference}
            )
        else:
            self.stdout.write(_("%(reference)s: received") % {"reference": reference})

    def _maildir(self, path: str, organization: Organization) -> None:
        try:
            result = ingest_maildir(path, organization)
        except mailbox.NoSuchMailboxError:
            raise CommandError(_("No Maildir at %(path)s.") % {"path": path}) from None
        for reference in result.references:
            self.stdout.write(_("%(reference)s: received") % {"reference": reference})
        self.stdout.write(
            _(
                "%(accepted)s received, %(duplicates)s already received, %(failed)s failed, %(deferred)s left for later"
            )
            % {
                "accepted": result.accepted,
                "duplicates": result.duplicates,
                "failed": result.failed,
                "deferred": result.deferred,
            }
        )
        if result.failed:
            raise CommandError(
                _("%(n)s mail(s) could not be filed; they are in the folder .%(folder)s of the Maildir.")
                % {"n": result.failed, "folder": FAILED_FOLDER}
            )
        if result.deferred:
            raise CommandError(
                _("%(n)s mail(s) were left in the Maildir because the database failed; run again later.")
                % {"n": result.deferred},
                returncode=EX_TEMPFAIL,
            )

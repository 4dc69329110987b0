from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from mamori.policy.loader import PolicyInvalid, parse_policy, read_policy_file


class Command(BaseCommand):
    help = "Check a policy file and print every problem with its line. Changes nothing."

    def add_arguments(self, parser):
        parser.add_argument("file", help="path of the policy YAML file")

    def handle(self, *args, **options):
        path = Path(options["file"])
        try:
            doc = parse_policy(read_policy_file(path))
        except PolicyInvalid as exc:
            for error in exc.errors:
                self.stderr.write(f"{path}: {error}")
            raise CommandError(
                _("%(count)s problem(s) found; nothing was loaded") % {"count": len(exc.errors)}
            ) from None
        self.stdout.write(
            _(
                "%(path)s: valid policy for %(org)s (%(roles)s roles, %(levels)s levels, %(categories)s categories)"
            )
            % {
                "path": path,
                "org": doc.organization.name,
                "roles": len(doc.roles),
                "levels": len(doc.levels),
                "categories": len(doc.categories),
            }
        )

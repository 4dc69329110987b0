from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from mamori.policy.loader import PolicyInvalid, preset_path, read_policy_file
from mamori.policy.services import load_policy


class Command(BaseCommand):
    help = "Load a policy (a preset by name, or a YAML file) as the organisation's active policy."

    def add_arguments(self, parser):
        parser.add_argument("file", nargs="?", help="path of a policy YAML file")
        parser.add_argument(
            "--preset", help="name of a bundled preset (komae, mutsu, tatebayashi, katsushika, edogawa)"
        )
        parser.add_argument("--as-user", help="username recorded as having loaded it (default: the system)")

    def handle(self, *args, **options):
        if bool(options["file"]) == bool(options["preset"]):
            raise CommandError(_("give either a file or --preset NAME"))
        actor: object = "manage.py load_policy"
        if options["as_user"]:
            actor = get_user_model().objects.filter(username=options["as_user"]).first()
            if actor is None:
                raise CommandError(_("no such user: %(name)s") % {"name": options["as_user"]})
        try:
            path = preset_path(options["preset"]) if options["preset"] else Path(options["file"])
            source = f"preset:{options['preset']}" if options["preset"] else str(path)
            result = load_policy(read_policy_file(path), actor=actor, source_name=source)
        except PolicyInvalid as exc:
            for error in exc.errors:
                self.stderr.write(f"{options['preset'] or options['file']}: {error}")
            raise CommandError(
                _("%(count)s problem(s) found; nothing was loaded") % {"count": len(exc.errors)}
            ) from None
        v = result.version
        if result.created:
            self.stdout.write(
                _("loaded %(org)s policy version %(version)s") % {"org": v.organization, "version": v.version}
            )
        else:
            self.stdout.write(
                _("%(org)s policy version %(version)s is already active; nothing changed")
                % {"org": v.organization, "version": v.version}
            )

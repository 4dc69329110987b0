"""Demo people for a trial install: one per role of the active policy, plus a staff member and an
administrator. Created on the first run only; their logins are kept in the data folder and printed
each time so the person trying Mamori can log in."""

import json
import secrets
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from mamori.people.models import Organization, Role, User
from mamori.people.services import assign_role, create_person

ACTOR = "manage.py setup_demo"


class Command(BaseCommand):
    help = "Create one demo person per role (first run only) and print the logins."

    def add_arguments(self, parser):
        parser.add_argument("--organization", help="organisation key (default: the only one)")

    def handle(self, *args, **options):
        orgs = Organization.objects.all()
        if options["organization"]:
            orgs = orgs.filter(key=options["organization"])
        if orgs.count() != 1:
            raise CommandError(_("load a policy first, or name the organisation with --organization"))
        org = orgs.get()
        logins_file = Path(settings.DATA_DIR) / f"demo-logins-{org.key}.json"
        logins = json.loads(logins_file.read_text(encoding="utf-8")) if logins_file.exists() else {}
        created = False
        people: list[tuple[str, str, Role | None, bool]] = [
            ("admin", _("Administrator"), None, True),
            ("staff", _("A staff member"), None, False),
        ]
        people += [
            (role.key, role.title, role, False) for role in Role.objects.filter(organization=org, active=True)
        ]
        for username, name, role, is_admin in people:
            if User.objects.filter(username=username).exists():
                continue
            password = secrets.token_urlsafe(9)
            person = create_person(
                org,
                actor=ACTOR,
                username=username,
                display_name=f"{name}（デモ）",
                password=password,
                email=f"{username}@example.invalid",
                is_staff=is_admin,
                is_superuser=is_admin,
                # The printed logins must keep working on every `make run`; real people get
                # temporary passwords they change at their first login.
                temporary_password=False,
            )
            if role is not None:
                assign_role(role, person, actor=ACTOR, order=0)
            logins[username] = password
            created = True
        if created:
            logins_file.write_text(json.dumps(logins, ensure_ascii=False, indent=1), encoding="utf-8")
            logins_file.chmod(0o600)
        self.stdout.write(_("Demo logins (user name / password), kept in %(file)s:") % {"file": logins_file})
        for username, password in logins.items():
            user = User.objects.filter(username=username).first()
            if user is not None:
                self.stdout.write(f"  {username:<24} {password:<16} {user.display_name}")

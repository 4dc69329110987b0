from datetime import timedelta

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone
from django.utils.translation import gettext as _

from mamori.api.auth import create_token
from mamori.api.models import SCOPES


class Command(BaseCommand):
    help = "Create an API token for USERNAME and print it once."

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("--name", default="cli", help="what the token is for (e.g. the SIEM's name)")
        parser.add_argument("--days", type=int, default=365, help="days until it expires (0: never)")
        parser.add_argument(
            "--scope",
            action="append",
            choices=sorted(SCOPES),
            help="what the token may do; repeat for more (default: reports:write only)",
        )

    def handle(self, *args, **options):
        user = get_user_model().objects.filter(username=options["username"]).first()
        if user is None:
            raise CommandError(_("no such user: %(name)s") % {"name": options["username"]})
        if options["days"] < 0:
            raise CommandError(_("--days must be 0 or more"))
        expires = timezone.now() + timedelta(days=options["days"]) if options["days"] else None
        _token, clear = create_token(
            user,
            actor="manage.py create_api_token",
            name=options["name"],
            expires_at=expires,
            scopes=options["scope"] or ["reports:write"],
        )
        self.stdout.write(clear)

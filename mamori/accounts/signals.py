"""The access journal: logins, logouts, failed logins and lockouts (tatebayashi 6.1(6), 6.2(3);
edogawa 基準第16条第2項).

Django and django-axes send these signals from their authentication code; each writes a journal entry
in its own transaction. A failed login records the name that was tried, never the password.

At each login the person is told when they last logged in and how many failed attempts were made
on their ID since then (tatebayashi 6.2(3): ログイン時刻の表示), read back from the journal.
"""

from typing import Any

from axes.signals import user_locked_out
from django.contrib import messages
from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.db import transaction
from django.dispatch import receiver
from django.utils import timezone
from django.utils.translation import gettext as _

from mamori.journal.models import JournalEntry
from mamori.journal.services import record
from mamori.wareki import format_datetime

USER_TYPE = "people.user"


def client_address(request: Any) -> str:
    return request.META.get("REMOTE_ADDR", "") if request is not None else ""


def previous_login(user: Any) -> dict[str, Any]:
    """When this person last logged in, from where, and the failed attempts on their ID since."""
    last = (
        JournalEntry.objects.filter(object_type=USER_TYPE, object_id=str(user.pk), action="access.login")
        .order_by("-seq")
        .values("seq", "created_at", "data")
        .first()
    )
    failures = JournalEntry.objects.filter(
        object_type=USER_TYPE, object_id=user.get_username()[:64], action="access.login_failed"
    )
    if last is not None:
        failures = failures.filter(seq__gt=last["seq"])
    return {
        "at": last["created_at"] if last else None,
        "address": (last["data"] or {}).get("address", "") if last else "",
        "failures": failures.count(),
    }


@receiver(user_logged_in)
def journal_login(sender, request, user, **kwargs):
    before = previous_login(user)
    with transaction.atomic():
        record(
            actor=user,
            action="access.login",
            obj=user,
            organization=user.organization,
            data={"address": client_address(request), "backend": getattr(user, "backend", "")},
        )
    if request is None or not hasattr(request, "_messages"):
        return
    if before["at"] is None:
        messages.info(request, _("Welcome. This is your first login to Mamori."))
    else:
        messages.info(
            request,
            _("Your last login: %(at)s from %(address)s. Failed attempts on your ID since then: %(n)d.")
            % {
                "at": format_datetime(timezone.localtime(before["at"]), user.date_style),
                "address": before["address"] or "-",
                "n": before["failures"],
            },
        )
    if before["failures"]:
        messages.warning(
            request,
            _("If you did not make these attempts, tell your security officer (tatebayashi 5.4(2)④)."),
        )


@receiver(user_logged_out)
def journal_logout(sender, request, user, **kwargs):
    if user is None:
        return
    with transaction.atomic():
        record(
            actor=user,
            action="access.logout",
            obj=user,
            organization=user.organization,
            data={"address": client_address(request)},
        )


@receiver(user_login_failed)
def journal_failed_login(sender, credentials, request=None, **kwargs):
    username = str(credentials.get("username", ""))
    with transaction.atomic():
        record(
            actor="anonymous",
            action="access.login_failed",
            object_type=USER_TYPE,
            object_id=username[:64],
            data={"username": username[:150], "address": client_address(request)},
        )


@receiver(user_locked_out)
def journal_lockout(sender, request, username, ip_address, **kwargs):
    from mamori.people.models import User

    person = User.objects.filter(username=username).first() if username else None
    with transaction.atomic():
        record(
            actor="anonymous",
            action="access.locked_out",
            object_type=USER_TYPE,
            object_id=str(person.pk) if person else str(username or "")[:64],
            organization=person.organization if person else None,
            data={"username": str(username or "")[:150], "address": ip_address or ""},
        )

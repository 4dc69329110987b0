"""The access journal: logins, logouts and failed logins (tatebayashi 6.1(6), edogawa 基準第16条第2項).

Django sends these signals from its authentication code; each writes a journal entry in its own
transaction. A failed login records the name that was tried, never the password.
"""

from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.db import transaction
from django.dispatch import receiver

from mamori.journal.services import record


def _address(request) -> str:
    return request.META.get("REMOTE_ADDR", "") if request is not None else ""


@receiver(user_logged_in)
def journal_login(sender, request, user, **kwargs):
    with transaction.atomic():
        record(
            actor=user,
            action="access.login",
            obj=user,
            organization=user.organization,
            data={"address": _address(request)},
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
            data={"address": _address(request)},
        )


@receiver(user_login_failed)
def journal_failed_login(sender, credentials, request=None, **kwargs):
    with transaction.atomic():
        record(
            actor="anonymous",
            action="access.login_failed",
            object_type="people.user",
            object_id=str(credentials.get("username", ""))[:64],
            data={"username": str(credentials.get("username", ""))[:150], "address": _address(request)},
        )

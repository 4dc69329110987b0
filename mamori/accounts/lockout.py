"""Lockout after repeated failed logins (tatebayashi 6.2(3) ログイン試行回数の制限, 6.2(1)③(カ)).

django-axes counts failures per user ID in the database (shared by every web process). How many are
allowed, and whether the lock lifts by itself, come from the person's policy (``login.max_failures``,
``login.lockout_minutes``); a lock with no time limit stays until an administrator unlocks the ID,
which is journaled.
"""

from datetime import timedelta
from typing import Any

from axes.models import AccessAttempt
from axes.utils import reset
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from mamori.journal.services import record
from mamori.policy.schema import LoginSpec

from .rules import login_rules_for_username


def _username(request: HttpRequest | None, credentials: dict | None = None) -> str:
    if credentials and credentials.get("username"):
        return str(credentials["username"])
    if request is not None and request.method == "POST":
        return str(request.POST.get("username", ""))
    return ""


def _rules(request: HttpRequest | None, credentials: dict | None = None) -> LoginSpec:
    """The rules for this attempt, looked up once per request: django-axes asks for the limit and the
    lock length several times while it handles one login."""
    username = _username(request, credentials)
    memo = getattr(request, "_mamori_login_rules", None)
    if memo is None or memo[0] != username:
        memo = (username, login_rules_for_username(username))
        if request is not None:
            request._mamori_login_rules = memo  # type: ignore[attr-defined]
    return memo[1]


def failure_limit(request: HttpRequest, credentials: dict | None) -> int:
    """AXES_FAILURE_LIMIT: failed logins in a row the policy allows."""
    return _rules(request, credentials).max_failures


# A lock "until an administrator unlocks" (lockout_minutes: null). django-axes needs a length for every
# lock once locks may differ between people, so this stands for "never" (ten years).
UNTIL_UNLOCKED = timedelta(days=3650)


def cool_off(request: HttpRequest | None) -> timedelta:
    """AXES_COOLOFF_TIME: how long this person's lock lasts (each failure records its own expiry,
    AXES_USE_ATTEMPT_EXPIRATION, so people of policies with different lengths never mix)."""
    minutes = _rules(request).lockout_minutes
    return timedelta(minutes=minutes) if minutes else UNTIL_UNLOCKED


def lockout_response(
    request: HttpRequest, response: Any = None, credentials: dict | None = None
) -> HttpResponse:
    """AXES_LOCKOUT_CALLABLE: a page in the person's language saying what to do, status 429."""
    rules = _rules(request, credentials)
    return render(
        request,
        "accounts/locked.html",
        {"lockout_minutes": rules.lockout_minutes, "max_failures": rules.max_failures},
        status=429,
    )


def is_locked(person: Any) -> bool:
    """Whether the person's ID is locked now."""
    rules = login_rules_for_username(person.get_username())
    length = timedelta(minutes=rules.lockout_minutes) if rules.lockout_minutes else UNTIL_UNLOCKED
    attempts = AccessAttempt.objects.filter(
        username=person.get_username(), attempt_time__gte=timezone.now() - length
    )
    return any(a.failures_since_start >= rules.max_failures for a in attempts)


def unlock(person: Any, *, actor: Any) -> int:
    """Lift the lock on ``person``'s ID and clear its failure count; returns the records removed."""
    with transaction.atomic():
        removed = reset(username=person.get_username())
        record(
            actor=actor,
            action="access.unlocked",
            obj=person,
            organization=person.organization,
            data={"username": person.get_username(), "attempt_records_removed": removed},
        )
    return removed

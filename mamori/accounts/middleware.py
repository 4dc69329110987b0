"""What a logged-in session must do before anything else, checked on every request.

In this order (tatebayashi 6.2(3)(4), 5.4(2)⑥; edogawa 基準第12条(5), 第17条第4項):

1. Idle timeout: no request for ``login.idle_minutes`` ends the session (アクセスタイムアウト).
2. The second factor, for people who have enrolled an app, before anything else.
3. A temporary or expired password must be changed.
4. People who must use a second factor and have none enrol one.
5. Administrative pages (the Django admin) need the password entered again within
   ``login.reauth_minutes`` (re-authentication before administrative actions).

API calls with a Bearer token carry no session and are checked by the token's own scopes instead.
"""

import time
from datetime import timedelta
from typing import Any

from django.contrib import messages
from django.contrib.auth import logout
from django.db import transaction
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _

from mamori.journal.services import record

from .rules import login_rules_for, needs_second_factor
from .second_factor import has_second_factor

SEEN_KEY = "mamori_seen"
REAUTH_KEY = "mamori_reauth_at"
# The idle clock is written at most this often: a session save on every request costs a write.
SEEN_RESOLUTION_SECONDS = 60
# Pages a person must still reach while a step is pending (the step itself, logging out, static files).
OPEN_PATHS = ("/accounts/", "/static/", "/healthz")


def pending_step(request: HttpRequest) -> str | None:
    """The URL name of the step this session must take first, or None."""
    user: Any = request.user
    verified = user.is_verified() if hasattr(user, "is_verified") else False
    enrolled = None
    if not verified:
        enrolled = has_second_factor(user)
        if enrolled:
            return "accounts:verify"
    if user.must_change_password or password_expired(user):
        return "accounts:password_change"
    if not verified and needs_second_factor(user):
        return "accounts:enrol"
    return None


def password_expired(user: Any) -> bool:
    max_age = login_rules_for(user).password.max_age_days
    if not max_age or not user.has_usable_password() or user.password_changed_at is None:
        return False
    return timezone.now() - user.password_changed_at > timedelta(days=max_age)


def reauthenticated_recently(request: HttpRequest) -> bool:
    at = request.session.get(REAUTH_KEY)
    minutes = login_rules_for(request.user).reauth_minutes
    return at is not None and time.time() - float(at) <= minutes * 60


def mark_reauthenticated(request: HttpRequest) -> None:
    request.session[REAUTH_KEY] = time.time()


class LoginGuardMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user: Any = request.user
        if not user.is_authenticated or request.path.startswith(("/static/", "/healthz")):
            return self.get_response(request)
        timed_out = self._idle_timeout(request)
        if timed_out is not None:
            return timed_out
        # Pages show their full navigation only once the login is complete (templates/base.html).
        step = request.login_step = pending_step(request)  # type: ignore[attr-defined]
        if not request.path.startswith(OPEN_PATHS):
            if step is not None:
                return self._go(request, step)
            if request.path.startswith("/admin/") and not reauthenticated_recently(request):
                return self._go(request, "accounts:confirm")
        return self.get_response(request)

    def _idle_timeout(self, request: HttpRequest) -> HttpResponse | None:
        now = time.time()
        seen = request.session.get(SEEN_KEY)
        idle_seconds = login_rules_for(request.user).idle_minutes * 60
        if seen is not None and now - float(seen) > idle_seconds:
            user: Any = request.user
            with transaction.atomic():
                record(
                    actor=user,
                    action="access.timed_out",
                    obj=user,
                    organization=user.organization,
                    data={"idle_minutes": idle_seconds // 60},
                )
            logout(request)
            messages.info(
                request,
                _("You were logged out after %(n)d minutes without activity.") % {"n": idle_seconds // 60},
            )
            if request.path.startswith("/api/"):
                return JsonResponse({"code": "not_authenticated", "message": _("Log in again.")}, status=401)
            return redirect(f"{reverse('login')}?{urlencode({'next': request.get_full_path()})}")
        if seen is None or now - float(seen) >= SEEN_RESOLUTION_SECONDS:
            request.session[SEEN_KEY] = now
        return None

    def _go(self, request: HttpRequest, step: str) -> HttpResponse:
        if request.path.startswith("/api/"):
            return JsonResponse(
                {"code": "login_incomplete", "message": _("Finish logging in in the browser first.")},
                status=401,
            )
        return redirect(f"{reverse(step)}?{urlencode({'next': request.get_full_path()})}")

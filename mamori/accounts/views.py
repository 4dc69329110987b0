"""Login and the steps after it: second factor, password change, re-authentication, own security page."""

import time
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import authenticate, update_session_auth_hash
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods

from config import directory
from mamori.journal.models import JournalEntry
from mamori.people import services as people_services

from . import ratelimit, second_factor
from .forms import CodeForm, ConfirmPasswordForm, EnrolForm, PasswordChangeForm
from .middleware import SEEN_KEY, mark_reauthenticated, password_expired, pending_step
from .rules import installation_login_rules, login_rules_for, needs_second_factor
from .signals import USER_TYPE, client_address

# What the person's own security page lists, in their words.
ACCESS_ACTIONS = {
    "access.login": gettext_lazy("Logged in"),
    "access.logout": gettext_lazy("Logged out"),
    "access.login_failed": gettext_lazy("Failed login"),
    "access.locked_out": gettext_lazy("ID locked"),
    "access.unlocked": gettext_lazy("ID unlocked"),
    "access.timed_out": gettext_lazy("Logged out for inactivity"),
    "access.second_factor_verified": gettext_lazy("Code from the app accepted"),
    "access.second_factor_failed": gettext_lazy("Wrong code from the app"),
    "access.recovery_code_used": gettext_lazy("Recovery code used"),
    "access.second_factor_enrolled": gettext_lazy("Authenticator app set up"),
    "access.second_factor_reset": gettext_lazy("Second factor reset by an administrator"),
    "access.recovery_codes_renewed": gettext_lazy("New recovery codes made"),
    "person.password_set": gettext_lazy("Password set"),
}


def _next(request: HttpRequest, default: str = "home:dashboard") -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(target, {request.get_host()}, request.is_secure()):
        return target
    return reverse(default)


def _after_step(request: HttpRequest) -> HttpResponse:
    """Go to the next pending step, or where the person was going."""
    step = pending_step(request)
    if step is not None:
        return redirect(f"{reverse(step)}?{urlencode({'next': _next(request)})}")
    return redirect(_next(request))


class LoginView(auth_views.LoginView):
    """Django's login with the policy's banner (tatebayashi 6.2(3) ログイン時におけるメッセージ) and a
    limit on attempts per client address; the per-ID lockout is django-axes' (lockout.py)."""

    template_name = "accounts/login.html"
    redirect_authenticated_user = True

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context["banner"] = installation_login_rules().banner
        context["oidc_login"] = directory.oidc_enabled()
        return context

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not ratelimit.allow(
            "login",
            client_address(request),
            limit=settings.MAMORI_LOGIN_ATTEMPTS_PER_ADDRESS,
            window_seconds=600,
        ):
            return render(request, "accounts/too_many.html", status=429)
        return super().post(request, *args, **kwargs)

    def form_valid(self, form: Any) -> HttpResponse:
        response = super().form_valid(form)
        # Entering the password is the re-authentication administrative pages ask for.
        mark_reauthenticated(self.request)
        self.request.session[SEEN_KEY] = time.time()
        return response

    def get_success_url(self) -> str:
        step = pending_step(self.request)
        if step is None:
            return super().get_success_url()
        return f"{reverse(step)}?{urlencode({'next': super().get_success_url()})}"


@login_required
@require_http_methods(["GET", "POST"])
def verify(request: HttpRequest) -> HttpResponse:
    """The second step of login for people with an authenticator app."""
    if request.user.is_verified() or not second_factor.has_second_factor(request.user):  # type: ignore[union-attr]
        return _after_step(request)
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if second_factor.verify(request, form.cleaned_data["code"]):
            left = second_factor.recovery_codes_left(request.user)
            if left <= 3:
                messages.warning(
                    request,
                    _("Only %(n)d recovery codes are left. Make new ones on your security page.")
                    % {"n": left},
                )
            return _after_step(request)
        form.add_error(
            "code", _("The code is not right, or it was already used. Wait for the next code and try again.")
        )
    return render(request, "accounts/verify.html", {"form": form, "next": _next(request)})


@login_required
@require_http_methods(["GET", "POST"])
def enrol(request: HttpRequest) -> HttpResponse:
    """Set up the authenticator app (also to replace a lost one, after verifying)."""
    user: Any = request.user
    if second_factor.has_second_factor(user) and not user.is_verified():
        return _after_step(request)
    form = EnrolForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        codes = second_factor.confirm_enrolment(request, form.cleaned_data["code"])
        if codes is not None:
            return render(
                request,
                "accounts/recovery_codes.html",
                {"codes": codes, "next": _next(request), "first": True},
            )
        form.add_error(
            "code", _("The code does not match. Check the time on your phone and enter the code shown now.")
        )
    enrolment = second_factor.pending_enrolment(request)
    return render(
        request,
        "accounts/enrol.html",
        {"form": form, "enrolment": enrolment, "required": needs_second_factor(user), "next": _next(request)},
    )


@login_required
@require_http_methods(["GET", "POST"])
def password_change(request: HttpRequest) -> HttpResponse:
    user: Any = request.user
    form = PasswordChangeForm(user, request.POST or None)
    if request.method == "POST" and form.is_valid():
        people_services.set_password(
            user, actor=user, password=form.cleaned_data["new_password1"], temporary=False
        )
        update_session_auth_hash(request, user)
        messages.success(request, _("Your password was changed."))
        return _after_step(request)
    reason = None
    if user.must_change_password:
        reason = _("Your password is temporary. Choose your own before you go on.")
    elif password_expired(user):
        reason = _("Your password has expired. Choose a new one before you go on.")
    return render(
        request, "accounts/password_change.html", {"form": form, "reason": reason, "next": _next(request)}
    )


@login_required
@require_http_methods(["GET", "POST"])
def confirm(request: HttpRequest) -> HttpResponse:
    """Enter the password again before administrative pages (re-authentication)."""
    user: Any = request.user
    form = ConfirmPasswordForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        # Through authenticate(): a wrong password counts towards the lockout like any other.
        if (
            authenticate(request, username=user.get_username(), password=form.cleaned_data["password"])
            == user
        ):
            mark_reauthenticated(request)
            return redirect(_next(request))
        form.add_error("password", _("The password is not right."))
    minutes = login_rules_for(user).reauth_minutes
    return render(
        request, "accounts/confirm.html", {"form": form, "minutes": minutes, "next": _next(request)}
    )


@login_required
def security(request: HttpRequest) -> HttpResponse:
    """The person's own login security: second factor, recovery codes left, recent access."""
    user: Any = request.user
    recent: list[dict[str, Any]] = [
        {**row, "label": ACCESS_ACTIONS[row["action"]]}
        for row in JournalEntry.objects.filter(
            object_type=USER_TYPE, object_id__in=[str(user.pk), user.get_username()[:64]]
        )
        .filter(action__in=ACCESS_ACTIONS)
        .order_by("-seq")
        .values("created_at", "action", "data")[:20]
    ]
    return render(
        request,
        "accounts/security.html",
        {
            "has_second_factor": second_factor.has_second_factor(user),
            "required": needs_second_factor(user),
            "codes_left": second_factor.recovery_codes_left(user),
            "recent": recent,
            "rules": login_rules_for(user),
        },
    )


@login_required
@require_http_methods(["POST"])
def renew_recovery_codes(request: HttpRequest) -> HttpResponse:
    user: Any = request.user
    if not user.is_verified():
        return redirect("accounts:verify")
    codes = second_factor.new_recovery_codes(user)
    return render(
        request, "accounts/recovery_codes.html", {"codes": codes, "next": _next(request, "accounts:security")}
    )

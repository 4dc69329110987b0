"""Report intake pages: the public form (no account), the staff form, and the PoC's log form."""

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods

from mamori.http import AuthedRequest
from mamori.incidents import access
from mamori.incidents.errors import ServiceError
from mamori.people.models import Organization
from mamori.policy.schema import PolicyDocument
from mamori.policy.services import NoActivePolicy, active_policy, policy_of_person

from .choices import Channel
from .forms import LoggedReportForm, PublicReportForm, StaffReportForm
from .services import Received, Upload, public_status, report_by_token, submit_report


def public_organization() -> Organization:
    """The organisation the public form reports to: MAMORI_ORGANIZATION, or the only one there is."""
    qs = Organization.objects.all()
    if settings.MAMORI_ORGANIZATION:
        qs = qs.filter(key=settings.MAMORI_ORGANIZATION)
    orgs = list(qs[:2])
    if len(orgs) != 1:
        raise Http404
    return orgs[0]


def _uploads(form) -> list[Upload]:
    return [
        Upload(f, f.name, getattr(f, "content_type", "") or "")
        for f in form.cleaned_data.get("attachments") or []
    ]


def _organization_and_policy(user: Any) -> tuple[Organization, PolicyDocument]:
    """The person's organisation and its policy; none (or no policy loaded) is a 404, not a crash."""
    policy = policy_of_person(user)
    if policy is None:
        raise Http404
    return user.organization, policy


def _client_address(request: HttpRequest) -> str:
    # Behind a reverse proxy, set it to pass the client address in REMOTE_ADDR (docs/operations.md).
    return request.META.get("REMOTE_ADDR", "")


def _submit(form, organization: Organization, **kwargs) -> tuple[Received | None, int]:
    """Run the service; put its field errors on the form. Returns (the result or None, HTTP status)."""
    try:
        return submit_report(organization, form.to_input(), uploads=_uploads(form), **kwargs), 200
    except ServiceError as exc:
        for field, message in exc.fields.items():
            form.add_error(field if field in form.fields else None, message)
        if not exc.fields:
            form.add_error(None, exc.message)
        return None, exc.status


@never_cache
@require_http_methods(["GET", "POST"])
def public_report(request: HttpRequest) -> HttpResponse:
    organization = public_organization()
    try:
        policy = active_policy(organization)
    except NoActivePolicy:
        raise Http404 from None
    form = PublicReportForm(request.POST or None, request.FILES or None, policy=policy)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            received, status = _submit(
                form, organization, channel=Channel.PUBLIC_FORM, client_address=_client_address(request)
            )
            if received is not None:
                # The secret link is shown once, on the next page, and never stored in clear.
                request.session["public_receipt"] = {
                    "reference": received.report.reference,
                    "token": received.status_token,
                }
                return redirect("public:thanks")
    return render(
        request,
        "intake/public_form.html",
        {"form": form, "policy": policy, "organization": organization},
        status=status,
    )


@never_cache
@require_GET
def public_thanks(request: HttpRequest) -> HttpResponse:
    receipt = request.session.pop("public_receipt", None)
    if not receipt:
        return redirect("public:report")
    status_url = request.build_absolute_uri(reverse("public:status", args=[receipt["token"]]))
    organization = public_organization()
    return render(
        request,
        "intake/public_thanks.html",
        {"reference": receipt["reference"], "status_url": status_url, "policy": active_policy(organization)},
    )


@never_cache
@require_GET
def public_status_page(request: HttpRequest, token: str) -> HttpResponse:
    report = report_by_token(token)
    if report is None:
        return render(request, "intake/public_status.html", {"report": None}, status=404)
    return render(request, "intake/public_status.html", {"report": report, "status": public_status(report)})


@login_required
@require_http_methods(["GET", "POST"])
def staff_report(request: AuthedRequest) -> HttpResponse:
    user = request.user
    organization, policy = _organization_and_policy(user)
    form = StaffReportForm(request.POST or None, request.FILES or None, policy=policy)
    status = 200 if request.method == "GET" else 400
    if request.method == "POST" and form.is_valid():
        received, status = _submit(form, organization, channel=Channel.STAFF_FORM, actor=user)
        if received is not None:
            messages.success(
                request,
                _("Your report was received as %(ref)s. The CSIRT will contact you if needed.")
                % {"ref": received.report.reference},
            )
            return redirect("home:dashboard")
    return render(request, "intake/staff_form.html", {"form": form, "policy": policy}, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def log_report(request: AuthedRequest) -> HttpResponse:
    user = request.user
    if not access.can(user, "log_report"):
        raise Http404
    organization, policy = _organization_and_policy(user)
    form = LoggedReportForm(request.POST or None, request.FILES or None, policy=policy)
    status = 200 if request.method == "GET" else 400
    if request.method == "POST" and form.is_valid():
        received, status = _submit(
            form, organization, channel=form.cleaned_data["channel"], actor=user, on_behalf=True
        )
        if received is not None:
            messages.success(request, _("Logged as %(ref)s.") % {"ref": received.report.reference})
            return redirect("incidents:detail", pk=received.incident.pk)
    return render(request, "intake/log_form.html", {"form": form, "policy": policy}, status=status)

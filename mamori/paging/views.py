"""Acknowledging pages (one-time link, or in the app), the inbox, and declaring absences."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from mamori.http import AuthedRequest
from mamori.incidents.errors import ServiceError

from .choices import EscalationState, PageState
from .forms import AbsenceForm
from .models import Absence, InboxMessage, Page
from .services import acknowledge, declare_absence, page_for_token


@never_cache
@require_http_methods(["GET", "POST"])
def ack_by_link(request: HttpRequest, token: str) -> HttpResponse:
    """The link in the message. GET only shows a button: mail scanners open links, and must not
    acknowledge for a person. No login needed: the token is bound to this page and its recipient."""
    page = page_for_token(token)
    if page is None or page.token_expires_at <= timezone.now():
        return render(request, "paging/ack.html", {"page": None}, status=404)
    escalation = page.escalation
    done = page.state == PageState.ACKNOWLEDGED or escalation.state == EscalationState.ACKNOWLEDGED
    if request.method == "POST" and not done:
        acknowledge(page, actor=page.recipient, via="link")
        page.refresh_from_db()
        escalation.refresh_from_db()
        done = True
    return render(request, "paging/ack.html", {"page": page, "escalation": escalation, "done": done})


@login_required
@require_http_methods(["GET"])
def inbox(request: AuthedRequest) -> HttpResponse:
    items = (
        InboxMessage.objects.filter(recipient=request.user)
        .select_related("page__escalation__incident", "page__escalation__emergency")
        .order_by("-created_at")[:100]
    )
    open_pages = (
        Page.objects.filter(recipient=request.user, state=PageState.OPEN)
        .select_related("escalation__incident", "escalation__emergency")
        .order_by("deadline")
    )
    return render(request, "paging/inbox.html", {"items": items, "open_pages": open_pages})


@login_required
@require_POST
def ack_in_app(request: AuthedRequest, pk: int) -> HttpResponse:
    page = Page.objects.filter(pk=pk, recipient=request.user).first()
    if page is None:
        raise Http404
    acknowledge(page, actor=request.user, via="app")
    InboxMessage.objects.filter(page=page, read_at__isnull=True).update(read_at=timezone.now())
    messages.success(request, _("Acknowledged. The people after you will not be paged."))
    return redirect(request.POST.get("next") or "paging:inbox")


@login_required
@require_http_methods(["GET", "POST"])
def absences(request: AuthedRequest) -> HttpResponse:
    form = AbsenceForm(request.POST or None)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            try:
                declare_absence(request.user, actor=request.user, **form.cleaned_data)
            except ServiceError as exc:
                for field, message in exc.fields.items():
                    form.add_error(field if field in form.fields else None, message)
                status = exc.status
            else:
                messages.success(
                    request, _("Your absence was recorded: you will be skipped when paged in that time.")
                )
                return redirect("paging:absences")
    mine = Absence.objects.filter(person=request.user, ends_at__gt=timezone.now()).order_by("starts_at")
    return render(request, "paging/absences.html", {"form": form, "absences": mine}, status=status)

from datetime import timedelta
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import connection
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods

from mamori.http import AuthedRequest
from mamori.incidents import access
from mamori.incidents.choices import State, TaskState
from mamori.incidents.models import ExternalReport, Task
from mamori.intake.models import Report
from mamori.paging.choices import EscalationState, PageState
from mamori.paging.models import Escalation, Page

from .forms import PreferencesForm
from .services import update_preferences


@never_cache
@require_GET
def healthz(request: HttpRequest) -> HttpResponse:
    """200 when the database answers; nothing more (load balancers call it often)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()
    return HttpResponse("ok", content_type="text/plain")


@login_required
@require_GET
def dashboard(request: AuthedRequest) -> HttpResponse:
    user = request.user
    incidents = access.incidents_for(user)
    queue = incidents.filter(state__in=State.queue_states()).count() if access.can(user, "triage") else None
    open_incidents = (
        incidents.filter(state__in=State.open_states())
        .exclude(state__in=State.queue_states())
        .select_related("handler")
        .order_by("-level", "-opened_at")[:20]
    )
    tasks = (
        Task.objects.filter(assignee=user, state=TaskState.OPEN, incident__organization=user.organization)
        .select_related("incident")
        .order_by("due_at")[:20]
    )
    my_reports = Report.objects.filter(reporter=user).select_related("incident").order_by("-received_at")[:10]
    return render(
        request,
        "home/dashboard.html",
        {
            "queue_count": queue,
            "open_incidents": open_incidents,
            "tasks": tasks,
            "my_reports": my_reports,
            **watch_list(user),
        },
    )


def watch_list(user: Any) -> dict[str, Any]:
    """What must not be forgotten: pages nobody has acknowledged and outside reports due soon or
    overdue — the person's own, and (for those who see every incident) everyone's.

    The incidents are reached by a join (``access.visible``): few reports and escalations are open,
    while the incidents they belong to may number a million."""
    now = timezone.now()
    visible = access.visible(user, via="incident__")
    if visible is None:
        return {"my_pages": [], "my_reports_due": [], "now": now}
    my_pages = (
        Page.objects.filter(recipient=user, state=PageState.OPEN)
        .select_related("escalation__incident", "escalation__emergency")
        .order_by("deadline")[:20]
    )
    mine = access.roles_of(user)
    reports = list(
        ExternalReport.objects.filter(
            visible, status__in=["due", "drafted"], due_at__lte=now + timedelta(days=7)
        )
        .select_related("incident")
        .order_by("due_at")[:50]
    )
    context: dict[str, Any] = {
        "my_pages": my_pages,
        "my_reports_due": [r for r in reports if r.decided_by in mine],
        "now": now,
    }
    if access.can(user, "view_all"):
        # Unacknowledged chains first (few, by the index on state), then those the person may see; as in
        # paging.services.banner_escalations, the other way round walks every visible incident on SQLite.
        waiting = Escalation.objects.filter(
            state__in=[EscalationState.OPEN, EscalationState.EXHAUSTED]
        ).values("pk")
        context["all_unacknowledged"] = (
            Escalation.objects.filter(visible, pk__in=waiting)
            .select_related("incident")
            .order_by("next_check_at")[:30]
        )
        context["all_reports_due"] = reports[:30]
    return context


@login_required
@require_http_methods(["GET", "POST"])
def preferences(request: AuthedRequest) -> HttpResponse:
    form = PreferencesForm(request.POST or None, instance=request.user)
    if request.method == "POST" and form.is_valid():
        update_preferences(request.user, actor=request.user, **form.cleaned_data)
        messages.success(request, _("Your preferences were saved."))
        return redirect("home:preferences")
    return render(request, "home/preferences.html", {"form": form})

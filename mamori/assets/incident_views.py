"""An incident's systems page: the affected systems and what their classes suggest, and the
cross-system checks with their answers (tatebayashi 5.3(3)③)."""

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from mamori.http import AuthedRequest
from mamori.incidents import access as incident_access
from mamori.incidents.editing import policy_of
from mamori.incidents.errors import NotFound, ServiceError
from mamori.incidents.models import Incident

from .incident_forms import AffectedSystemsForm, AnswerForm, CrossCheckForm
from .incident_links import (
    answer_check,
    hints_for,
    may_answer,
    may_link,
    set_affected_systems,
    start_cross_checks,
)
from .models import AffectedSystem, CrossSystemCheck
from .views import show_errors


def _incident(request: AuthedRequest, pk: int) -> Incident:
    try:
        return incident_access.get_incident_for(request.user, pk)
    except NotFound:
        raise Http404 from None


def _page(request: AuthedRequest, incident: Incident, status: int = 200, **forms: Any) -> HttpResponse:
    user = request.user
    affected = [
        a.system
        for a in AffectedSystem.objects.filter(incident=incident).select_related(
            "system", "system__administrator"
        )
    ]
    checks = list(
        CrossSystemCheck.objects.filter(incident=incident).select_related(
            "system", "task", "task__assignee", "task__done_by"
        )
    )
    roles = incident_access.roles_of(user)
    for check in checks:
        task = check.task
        mine = task.assignee_id == user.pk or (bool(task.assignee_role) and task.assignee_role in roles)
        check.mine = task.state == "open" and mine  # type: ignore[attr-defined]
    linking = may_link(user, incident)
    context = {
        "incident": incident,
        "affected": affected,
        "hints": hints_for(policy_of(incident), affected),
        "checks": checks,
        "may_link": linking,
        "may_check": incident_access.can(user, "respond") and bool(affected),
        "affected_form": forms.get("affected_form")
        or (
            AffectedSystemsForm(initial={"systems": affected}, organization_id=incident.organization_id)
            if linking
            else None
        ),
        "check_form": forms.get("check_form") or CrossCheckForm(initial={"version": incident.version}),
        "answer_form": forms.get("answer_form") or AnswerForm(),
    }
    return render(request, "assets/incident.html", context, status=status)


@login_required
@require_http_methods(["GET"])
def incident_systems(request: AuthedRequest, pk: int) -> HttpResponse:
    return _page(request, _incident(request, pk))


@login_required
@require_POST
def incident_systems_set(request: AuthedRequest, pk: int) -> HttpResponse:
    incident = _incident(request, pk)
    if not may_link(request.user, incident):
        raise PermissionDenied
    form = AffectedSystemsForm(request.POST, organization_id=incident.organization_id)
    if form.is_valid():
        try:
            set_affected_systems(incident, actor=request.user, systems=list(form.cleaned_data["systems"]))
        except ServiceError as exc:
            show_errors(form, exc)
        else:
            messages.success(request, _("The affected systems were saved."))
            return redirect("assets:incident", incident.pk)
    return _page(request, incident, 400, affected_form=form)


@login_required
@require_POST
def incident_cross_checks(request: AuthedRequest, pk: int) -> HttpResponse:
    incident = _incident(request, pk)
    if not incident_access.can(request.user, "respond"):
        raise PermissionDenied
    form = CrossCheckForm(request.POST)
    if form.is_valid():
        try:
            created = start_cross_checks(
                incident,
                actor=request.user,
                kinds=form.cleaned_data["kinds"],
                due_at=form.cleaned_data["due_at"],
                expected_version=form.cleaned_data["version"],
            )
        except ServiceError as exc:
            show_errors(form, exc)
        else:
            messages.success(request, _("%(n)s systems were asked to check.") % {"n": len(created)})
            return redirect("assets:incident", incident.pk)
    return _page(request, incident, 400, check_form=form)


@login_required
@require_POST
def answer(request: AuthedRequest, pk: int, check_pk: int) -> HttpResponse:
    incident = _incident(request, pk)
    check = CrossSystemCheck.objects.filter(incident=incident, pk=check_pk).first()
    if check is None:
        raise Http404
    if not may_answer(request.user, check):
        raise PermissionDenied
    form = AnswerForm(request.POST)
    if form.is_valid():
        try:
            answer_check(
                check,
                actor=request.user,
                finding=form.cleaned_data["finding"],
                result=form.cleaned_data["result"],
            )
        except ServiceError as exc:
            if exc.status == 403:
                raise PermissionDenied from None
            show_errors(form, exc)
        else:
            messages.success(request, _("Your answer was recorded."))
            return redirect("assets:incident", incident.pk)
    return _page(request, incident, 400, answer_form=form)

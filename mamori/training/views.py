"""Pages of the training register: the year (plan, sessions, completion by department), the plan and its
approval, a session with its attendance and, for an exercise, its drill incident and timings."""

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from mamori import wareki
from mamori.assets.views import show_errors
from mamori.continuity import drills
from mamori.continuity.models import Emergency
from mamori.http import AuthedRequest
from mamori.incidents.access import can
from mamori.incidents.errors import ServiceError
from mamori.people.models import Organization
from mamori.policy.services import active_policy

from .forms import ApprovalForm, AttendanceForm, DrillForm, PlanForm, SessionForm
from .models import COURSE, TrainingPlan, TrainingSession
from .services import (
    SessionInput,
    completion_by_department,
    drill_timings,
    kind_label,
    may_plan,
    may_record,
    record_approval,
    record_session,
    save_plan,
    set_attendance,
    start_drill,
)


def _organization(request: AuthedRequest) -> Organization:
    organization = request.user.organization
    if organization is None:
        raise Http404
    return organization


def _reader(request: AuthedRequest) -> Organization:
    organization = _organization(request)
    user = request.user
    if not (may_plan(user) or may_record(user) or can(user, "view_all")):
        raise PermissionDenied
    return organization


def _year(request: AuthedRequest) -> int:
    try:
        return int(
            request.GET.get("year") or request.POST.get("year") or wareki.fiscal_year(timezone.localdate())
        )
    except ValueError:
        raise Http404 from None


@login_required
@require_GET
def training_year(request: AuthedRequest) -> HttpResponse:
    organization = _reader(request)
    spec = active_policy(organization).training
    if spec is None:
        return render(request, "training/year.html", {"spec": None})
    year = _year(request)
    sessions = list(
        TrainingSession.objects.filter(organization=organization, fiscal_year=year).select_related(
            "drill_incident"
        )
    )
    for session in sessions:
        session.kind_label = kind_label(spec, session.kind)  # type: ignore[attr-defined]
        session.attendees = session.attendance.count()  # type: ignore[attr-defined]
    return render(
        request,
        "training/year.html",
        {
            "spec": spec,
            "year": year,
            "year_label": wareki.fiscal_year_label(year, request.user.date_style),
            "plan": TrainingPlan.objects.filter(organization=organization, fiscal_year=year).first(),
            "sessions": sessions,
            "completion": completion_by_department(organization, year),
            "may_plan": may_plan(request.user),
            "may_record": may_record(request.user),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def training_plan(request: AuthedRequest) -> HttpResponse:
    organization = _organization(request)
    if not may_plan(request.user):
        raise PermissionDenied
    year = _year(request)
    plan = TrainingPlan.objects.filter(organization=organization, fiscal_year=year).first()
    form = PlanForm(
        request.POST if "content" in request.POST else None,
        initial={"title": plan.title, "content": plan.content}
        if plan
        else {"title": _("Information security training plan")},
    )
    approval = ApprovalForm(request.POST if "approved_on" in request.POST else None)
    if request.method == "POST":
        try:
            if form.is_bound and form.is_valid():
                save_plan(organization, actor=request.user, fiscal_year=year, **form.cleaned_data)
                messages.success(request, _("The plan was saved."))
                return redirect(f"{request.path}?year={year}")
            if approval.is_bound and approval.is_valid() and plan is not None:
                record_approval(plan, actor=request.user, **approval.cleaned_data)
                messages.success(request, _("The approval was recorded."))
                return redirect(f"{request.path}?year={year}")
        except ServiceError as exc:
            show_errors(form if form.is_bound else approval, exc)
    spec = active_policy(organization).training
    return render(
        request,
        "training/plan.html",
        {
            "form": form,
            "approval": approval,
            "plan": plan,
            "year": year,
            "year_label": wareki.fiscal_year_label(year, request.user.date_style),
            "spec": spec,
        },
        status=400 if request.method == "POST" else 200,
    )


@login_required
@require_http_methods(["GET", "POST"])
def session_new(request: AuthedRequest) -> HttpResponse:
    organization = _organization(request)
    spec = active_policy(organization).training
    if spec is None or not may_record(request.user):
        raise PermissionDenied
    form = SessionForm(request.POST or None, spec=spec, organization_id=organization.pk)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            session = record_session(
                organization,
                actor=request.user,
                data=SessionInput(
                    kind=d["kind"],
                    title=d["title"],
                    held_on=d["held_on"],
                    audience=d["audience"],
                    minutes=d["minutes"],
                    notes=d["notes"],
                    attendees=d["attendees"],
                ),  # fmt: skip
            )
        except ServiceError as exc:
            show_errors(form, exc)
        else:
            messages.success(request, _("The session was recorded."))
            return redirect("training:session", session.pk)
    return render(request, "training/session_form.html", {"form": form}, status=400 if form.is_bound else 200)


def _session(request: AuthedRequest, pk: int) -> TrainingSession:
    organization = _reader(request)
    session = (
        TrainingSession.objects.filter(organization=organization, pk=pk)
        .select_related("drill_incident")
        .first()
    )
    if session is None:
        raise Http404
    return session


def _session_page(
    request: AuthedRequest, session: TrainingSession, status: int = 200, **forms: Any
) -> HttpResponse:
    spec = active_policy(session.organization).training
    attendees = [
        a.person
        for a in session.attendance.select_related("person", "person__department").order_by(
            "person__username"
        )
    ]
    recorder = may_record(request.user)
    policy = active_policy(session.organization)
    as_emergency = drills.exercise_runs_emergency(policy, session.kind)
    emergency = Emergency.objects.filter(training_session=session).first()
    return render(
        request,
        "training/session.html",
        {
            "session": session,
            "kind_label": kind_label(spec, session.kind) if spec else session.kind,
            "attendees": attendees,
            "timings": drill_timings(session.drill_incident) if session.drill_incident else None,
            "may_record": recorder,
            "may_drill": recorder
            and session.kind != COURSE
            and not session.drill_incident_id
            and not emergency,
            "drill_as_emergency": as_emergency,
            "drill_emergency": emergency,
            "emergency_timings": drills.timings(emergency) if emergency else None,
            "attendance_form": forms.get("attendance_form")
            or AttendanceForm(
                initial={"attendees": "\n".join(p.username for p in attendees)},
                organization_id=session.organization_id,
            ),
            "drill_form": forms.get("drill_form") or DrillForm(),
        },
        status=status,
    )


@login_required
@require_GET
def session_detail(request: AuthedRequest, pk: int) -> HttpResponse:
    return _session_page(request, _session(request, pk))


@login_required
@require_POST
def session_attendance(request: AuthedRequest, pk: int) -> HttpResponse:
    session = _session(request, pk)
    if not may_record(request.user):
        raise PermissionDenied
    form = AttendanceForm(request.POST, organization_id=session.organization_id)
    if form.is_valid():
        try:
            set_attendance(session, actor=request.user, people=form.cleaned_data["attendees"])
        except ServiceError as exc:
            if exc.status == 403:
                raise PermissionDenied from None
            show_errors(form, exc)
        else:
            messages.success(request, _("The attendance was saved."))
            return redirect("training:session", session.pk)
    return _session_page(request, session, 400, attendance_form=form)


@login_required
@require_POST
def session_drill(request: AuthedRequest, pk: int) -> HttpResponse:
    session = _session(request, pk)
    if not may_record(request.user):
        raise PermissionDenied
    form = DrillForm(request.POST)
    if form.is_valid():
        try:
            incident = start_drill(session, actor=request.user, scenario=form.cleaned_data["scenario"])
        except ServiceError as exc:
            if exc.status == 403:
                raise PermissionDenied from None
            show_errors(form, exc)
        else:
            messages.success(
                request,
                _("The drill report %(reference)s was filed; handle it as a real one.")
                % {"reference": incident.reference},
            )
            return redirect("incidents:detail", incident.pk)
    return _session_page(request, session, 400, drill_form=form)

"""Keeping the training register: the plan and its approval, sessions with attendance, exercises run as
drill incidents, and the figures the reports need. Each change checks, changes and journals in one
transaction (STYLE.md). Which roles may do what comes from the policy's ``training`` section."""

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from django.db import transaction
from django.db.models import Count
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from mamori import wareki
from mamori.incidents.access import roles_of
from mamori.incidents.errors import Invalid, NotAllowed, WrongState
from mamori.incidents.models import Incident
from mamori.intake.choices import Channel
from mamori.intake.services import ReportInput, submit_report
from mamori.journal.services import record
from mamori.paging.models import Escalation
from mamori.people.models import Department, User
from mamori.policy.schema_registers import TrainingSpec
from mamori.policy.services import active_policy

from .models import COURSE, Attendance, TrainingPlan, TrainingSession


def spec_of(organization: Any) -> TrainingSpec:
    spec = active_policy(organization).training
    if spec is None:
        raise WrongState(_("The policy does not provide for training."))
    return spec


def may_plan(user: Any) -> bool:
    spec = active_policy(user.organization).training if user.organization_id else None
    return bool(spec and roles_of(user) & set(spec.plan_roles))


def may_record(user: Any) -> bool:
    spec = active_policy(user.organization).training if user.organization_id else None
    return bool(spec and roles_of(user) & set(spec.record_roles))


def kind_label(spec: TrainingSpec, kind: str) -> str:
    if kind == COURSE:
        return _("Training course")
    return next((e.label for e in spec.exercises if e.key == kind), kind)


def save_plan(organization: Any, *, actor: Any, fiscal_year: int, title: str, content: str) -> TrainingPlan:
    """Draft or redraft the year's plan (5.2(2)①). A plan already approved is not changed: the
    committee approved that text."""
    spec_of(organization)
    if not may_plan(actor) or actor.organization_id != organization.pk:
        raise NotAllowed()
    if not title.strip() or not content.strip():
        raise Invalid(fields={"content": _("Give the plan's title and content.")})
    with transaction.atomic():
        plan = (
            TrainingPlan.objects.select_for_update()
            .filter(organization=organization, fiscal_year=fiscal_year)
            .first()
        )
        if plan is not None and plan.approved_on is not None:
            raise WrongState(_("This plan was approved; record a new approval rather than change its text."))
        if plan is None:
            plan = TrainingPlan(organization=organization, fiscal_year=fiscal_year)
        plan.title, plan.content = title.strip()[:200], content.strip()
        plan.drafted_by, plan.drafted_at = actor, timezone.now()
        plan.save()
        record(
            actor=actor,
            action="training.plan_saved",
            obj=plan,
            data={"fiscal_year": fiscal_year, "title": plan.title},
        )
    return plan


def record_approval(plan: TrainingPlan, *, actor: Any, approved_on: date, reference: str) -> TrainingPlan:
    """The approving body's decision (5.2(2)①: 情報セキュリティ委員会の承認), as minuted."""
    spec = spec_of(plan.organization)
    if not may_plan(actor) or actor.organization_id != plan.organization_id:
        raise NotAllowed()
    if approved_on > timezone.localdate():
        raise Invalid(fields={"approved_on": _("The approval cannot be in the future.")})
    with transaction.atomic():
        plan = TrainingPlan.objects.select_for_update().get(pk=plan.pk)
        plan.approved_on, plan.approval_reference, plan.approval_recorded_by = (
            approved_on,
            reference.strip()[:200],
            actor,
        )
        plan.save()
        record(
            actor=actor,
            action="training.plan_approved",
            obj=plan,
            data={"approved_on": approved_on, "by": spec.approved_by, "reference": plan.approval_reference},
        )
    return plan


@dataclass
class SessionInput:
    kind: str
    title: str
    held_on: date
    audience: str = ""
    minutes: int | None = None
    notes: str = ""
    attendees: list[User] | None = None


def record_session(organization: Any, *, actor: Any, data: SessionInput) -> TrainingSession:
    spec = spec_of(organization)
    if not may_record(actor) or actor.organization_id != organization.pk:
        raise NotAllowed()
    errors: dict[str, str] = {}
    if data.kind != COURSE and data.kind not in {e.key for e in spec.exercises}:
        errors["kind"] = _("Choose a course or one of the policy's exercises.")
    if not data.title.strip():
        errors["title"] = _("Give the session's title.")
    if data.held_on > timezone.localdate() + timedelta(days=366):
        errors["held_on"] = _("This date is not plausible.")
    if any(p.organization_id != organization.pk for p in data.attendees or []):
        errors["attendees"] = _("Choose people of your own organisation.")
    if errors:
        raise Invalid(fields=errors)
    with transaction.atomic():
        session = TrainingSession.objects.create(
            organization=organization,
            fiscal_year=wareki.fiscal_year(data.held_on),
            kind=data.kind,
            title=data.title.strip()[:200],
            audience=data.audience.strip()[:200],
            held_on=data.held_on,
            minutes=data.minutes,
            notes=data.notes.strip(),
            recorded_by=actor,
            recorded_at=timezone.now(),
        )
        Attendance.objects.bulk_create(
            Attendance(session=session, person=p) for p in dict.fromkeys(data.attendees or [])
        )
        record(
            actor=actor,
            action="training.session_recorded",
            obj=session,
            data={"kind": data.kind, "held_on": data.held_on, "attendees": len(set(data.attendees or []))},
        )
    return session


def set_attendance(session: TrainingSession, *, actor: Any, people: list[User]) -> None:
    if not may_record(actor) or actor.organization_id != session.organization_id:
        raise NotAllowed()
    if any(p.organization_id != session.organization_id for p in people):
        raise Invalid(fields={"attendees": _("Choose people of your own organisation.")})
    with transaction.atomic():
        before = set(session.attendance.values_list("person_id", flat=True))
        after = {p.pk for p in people}
        session.attendance.exclude(person_id__in=after).delete()
        Attendance.objects.bulk_create(Attendance(session=session, person_id=pk) for pk in after - before)
        record(
            actor=actor,
            action="training.attendance_set",
            obj=session,
            data={"added": len(after - before), "removed": len(before - after), "attendees": len(after)},
        )


def start_drill(session: TrainingSession, *, actor: Any, scenario: str) -> Incident:
    """Run an exercise through the real workflow: a report flagged as a drill, paged and handled like any
    other, left out of the statistics (statistics/figures.py) but kept here with its timings."""
    if not may_record(actor) or actor.organization_id != session.organization_id:
        raise NotAllowed()
    if session.kind == COURSE:
        raise WrongState(_("A training course has no drill incident; record an exercise."))
    if not scenario.strip():
        raise Invalid(fields={"scenario": _("Give the scenario the report describes.")})
    with transaction.atomic():
        session = TrainingSession.objects.select_for_update().get(pk=session.pk)
        if (
            session.drill_incident_id
            or TrainingSession.objects.filter(pk=session.pk, drill_emergency__isnull=False).exists()
        ):
            raise WrongState(_("This exercise already has its drill incident."))
        received = submit_report(
            session.organization,
            ReportInput(
                description=f"{_('[DRILL]')} {scenario.strip()}",
                discovered_at=timezone.now(),
                location=session.title,
                is_drill=True,
            ),
            channel=Channel.STAFF_FORM,
            actor=actor,
        )
        session.drill_incident = received.incident
        session.save(update_fields=["drill_incident"])
        record(
            actor=actor,
            action="training.drill_started",
            obj=session,
            data={"incident": received.incident.reference, "scenario": scenario.strip()},
        )
    return received.incident


@dataclass
class Step:
    label: str
    at: datetime | None
    minutes: float | None  # since the report (or the declaration of a drill emergency: continuity.drills)


def drill_timings(incident: Incident) -> list[Step]:
    """How long each step of the drill took, from the incident's own record."""
    start = incident.opened_at
    acknowledged = (
        Escalation.objects.filter(incident=incident, acknowledged_at__isnull=False)
        .order_by("acknowledged_at")
        .values_list("acknowledged_at", flat=True)
        .first()
    )

    def step(label: str, at: datetime | None) -> Step:
        return Step(label, at, round((at - start).total_seconds() / 60, 1) if at else None)

    return [
        step(pgettext("drill step", "Reported"), start),
        step(pgettext("drill step", "First acknowledgement"), acknowledged),
        step(pgettext("drill step", "Triaged"), incident.triaged_at),
        step(pgettext("drill step", "Contained"), incident.contained_at),
        step(pgettext("drill step", "Closed"), incident.closed_at),
    ]


@dataclass
class DepartmentCompletion:
    department: str
    people: int
    attended: int

    @property
    def rate(self) -> float:
        return 100 * self.attended / self.people if self.people else 0.0


def completion_by_department(organization: Any, fiscal_year: int) -> list[DepartmentCompletion]:
    """For each department: how many of its active people attended at least one course in the year
    (5.2(2)④: 所管する課係等の研修の実施状況)."""
    attended = set(
        Attendance.objects.filter(
            session__organization=organization, session__fiscal_year=fiscal_year, session__kind=COURSE
        ).values_list("person_id", flat=True)
    )
    people = User.objects.filter(organization=organization, is_active=True).values_list("pk", "department_id")
    totals: dict[int | None, list[int]] = {}
    for pk, department_id in people:
        counts = totals.setdefault(department_id, [0, 0])
        counts[0] += 1
        counts[1] += pk in attended
    names = dict(Department.objects.filter(organization=organization).values_list("pk", "name"))
    rows = [
        DepartmentCompletion(
            names.get(dep, _("(no department)")) if dep else _("(no department)"), total, done
        )
        for dep, (total, done) in totals.items()
    ]
    return sorted(rows, key=lambda r: r.department)


def sessions_by_kind(organization: Any, fiscal_year: int) -> dict[str, int]:
    return dict(
        TrainingSession.objects.filter(organization=organization, fiscal_year=fiscal_year)
        .values_list("kind")
        .annotate(n=Count("pk"))
        .values_list("kind", "n")
    )

"""Applying for, deciding on and ending exception measures (例外措置, tatebayashi 7.4). Each function
checks, changes and journals in one transaction (STYLE.md).

7.4(1): the 情報セキュリティ管理者 or 情報システム管理者 applies; the CISO approves. Mamori never lets the
applicant decide their own application (1(8)①, 兼務の禁止), even if they hold the approving role.
7.4(2): in an emergency the measure is taken first and reported afterwards, within the policy's hours;
the report is then decided like an application. 7.4(3): the register of applications and decisions.
"""

import logging
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from django.core.mail import EmailMessage
from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from mamori.incidents.access import roles_of
from mamori.incidents.errors import Conflict, Invalid, NotAllowed, WrongState
from mamori.journal.services import record
from mamori.people.models import Assignment, Department
from mamori.policy.schema_registers import ExceptionMeasuresSpec
from mamori.policy.services import active_policy

from .models import ExceptionMeasure, MeasureState

log = logging.getLogger("mamori.exception_measures")
TEXT_MAX = 4000


@dataclass
class MeasureInput:
    rule: str
    measure: str
    reason: str
    compensating: str
    starts_on: date
    ends_on: date
    department: Department | None = None
    systems: list[Any] = field(default_factory=list)
    emergency: bool = False
    acted_at: datetime | None = None


def _spec(organization: Any) -> ExceptionMeasuresSpec:
    spec = active_policy(organization).exception_measures
    if spec is None:
        raise WrongState(_("The policy does not provide for exception measures."))
    return spec


def check_input(spec: ExceptionMeasuresSpec, data: MeasureInput, *, now: datetime) -> dict[str, str]:
    errors: dict[str, str] = {}
    for key, label in (
        ("rule", _("the rule not followed")),
        ("measure", _("what is done instead")),
        ("reason", _("the reason")),
        ("compensating", _("the compensating measures")),
    ):
        value = (getattr(data, key) or "").strip()
        if not value:
            errors[key] = _("Give %(what)s.") % {"what": label}
        elif len(value) > (300 if key == "rule" else TEXT_MAX):
            errors[key] = _("This text is too long.")
    if data.ends_on < data.starts_on:
        errors["ends_on"] = _("The end must not be before the start.")
    elif spec.max_days and (data.ends_on - data.starts_on).days + 1 > spec.max_days:
        errors["ends_on"] = _(
            "One approval covers at most %(n)s days (the policy); apply again to go on."
        ) % {"n": spec.max_days}
    today = timezone.localdate(now)
    if data.emergency:
        if data.acted_at is None:
            errors["acted_at"] = _("Give when the measure was taken.")
        elif data.acted_at > now + timedelta(minutes=5):
            errors["acted_at"] = _(
                "An emergency measure is reported after it was taken: this time is in the future."
            )
    elif data.starts_on < today:
        errors["starts_on"] = _(
            "A measure applied for in advance cannot start in the past; one already taken is reported as an emergency measure."
        )
    for system in data.systems:
        if data.department is not None and system.organization_id != data.department.organization_id:
            errors["systems"] = _("Choose systems of your own organisation.")
    return errors


def apply_measure(organization: Any, *, actor: Any, data: MeasureInput) -> ExceptionMeasure:
    """Apply for a measure (7.4(1)), or report one taken in an emergency (7.4(2))."""
    spec = _spec(organization)
    if actor.organization_id != organization.pk or not (roles_of(actor) & set(spec.apply_roles)):
        raise NotAllowed(_("Your role does not apply for exception measures."))
    now = timezone.now()
    errors = check_input(spec, data, now=now)
    if any(s.organization_id != organization.pk for s in data.systems):
        errors["systems"] = _("Choose systems of your own organisation.")
    if errors:
        raise Invalid(fields=errors)
    with transaction.atomic():
        # Numbers are given under the lock of the organisation's row: two applications at once get two numbers.
        type(organization).objects.select_for_update().get(pk=organization.pk)
        number = (
            ExceptionMeasure.objects.filter(organization=organization).aggregate(n=Max("number"))["n"] or 0
        ) + 1
        due = (
            data.acted_at + timedelta(hours=spec.emergency_report_hours)
            if data.emergency and data.acted_at
            else None
        )
        measure = ExceptionMeasure.objects.create(
            organization=organization,
            number=number,
            applicant=actor,
            department=data.department or actor.department,
            rule=data.rule.strip(),
            measure=data.measure.strip(),
            reason=data.reason.strip(),
            compensating=data.compensating.strip(),
            starts_on=data.starts_on,
            ends_on=data.ends_on,
            emergency=data.emergency,
            acted_at=data.acted_at if data.emergency else None,
            report_due_at=due,
            state=MeasureState.REPORTED if data.emergency else MeasureState.APPLIED,
            created_at=now,
        )
        measure.systems.set(data.systems)
        record(
            actor=actor,
            action="exception_measure.reported" if data.emergency else "exception_measure.applied",
            obj=measure,
            data={
                "number": number,
                "rule": measure.rule,
                "starts_on": data.starts_on,
                "ends_on": data.ends_on,
                "systems": [str(s) for s in data.systems],
                "acted_at": measure.acted_at,
                "report_due_at": due,
                "late": measure.late_report,
            },
        )
    return measure


def _lock(measure: ExceptionMeasure, expected_version: int | None) -> ExceptionMeasure:
    locked = ExceptionMeasure.objects.select_for_update().select_related("organization").get(pk=measure.pk)
    if expected_version is not None and locked.version != expected_version:
        raise Conflict(
            _("Someone else changed this application after you opened it. Reload the page and try again.")
        )
    return locked


def decide(
    measure: ExceptionMeasure, *, actor: Any, approve: bool, note: str, expected_version: int | None = None
) -> ExceptionMeasure:
    """The CISO's decision (7.4(1)); for an emergency measure, its ratification (7.4(2))."""
    spec = _spec(measure.organization)
    if actor.organization_id != measure.organization_id or not (roles_of(actor) & set(spec.approve_roles)):
        raise NotAllowed(_("Your role does not decide on exception measures."))
    if actor.pk == measure.applicant_id:
        raise NotAllowed(_("An application cannot be decided by the person who made it."))
    if not approve and not (note or "").strip():
        raise Invalid(fields={"note": _("Say why the application is rejected.")})
    with transaction.atomic():
        measure = _lock(measure, expected_version)
        if measure.state not in MeasureState.awaiting_decision():
            raise WrongState(_("This application has already been decided."))
        measure.state = MeasureState.APPROVED if approve else MeasureState.REJECTED
        measure.decided_by, measure.decided_at, measure.decision_note = (
            actor,
            timezone.now(),
            (note or "").strip(),
        )
        measure.version += 1
        measure.save()
        record(
            actor=actor,
            action="exception_measure.approved" if approve else "exception_measure.rejected",
            obj=measure,
            data={"number": measure.number, "note": measure.decision_note},
        )
    return measure


def withdraw(measure: ExceptionMeasure, *, actor: Any) -> ExceptionMeasure:
    if actor.pk != measure.applicant_id:
        raise NotAllowed()
    with transaction.atomic():
        measure = _lock(measure, None)
        if measure.state != MeasureState.APPLIED:
            raise WrongState(_("Only an application not yet decided can be withdrawn."))
        measure.state = MeasureState.WITHDRAWN
        measure.version += 1
        measure.save()
        record(
            actor=actor, action="exception_measure.withdrawn", obj=measure, data={"number": measure.number}
        )
    return measure


def end_measure(measure: ExceptionMeasure, *, actor: Any, note: str) -> ExceptionMeasure:
    """The rule is followed again (or an emergency measure that was rejected is stopped)."""
    spec = _spec(measure.organization)
    deciding = bool(roles_of(actor) & set(spec.approve_roles))
    if actor.organization_id != measure.organization_id or not (actor.pk == measure.applicant_id or deciding):
        raise NotAllowed()
    if not (note or "").strip():
        raise Invalid(fields={"end_note": _("Say how the rule is followed again.")})
    with transaction.atomic():
        measure = _lock(measure, None)
        if measure.state not in (MeasureState.APPROVED, MeasureState.REPORTED, MeasureState.REJECTED):
            raise WrongState(_("This measure is not in force."))
        measure.state, measure.ended_at, measure.end_note = MeasureState.ENDED, timezone.now(), note.strip()
        measure.version += 1
        measure.save()
        record(
            actor=actor,
            action="exception_measure.ended",
            obj=measure,
            data={"number": measure.number, "note": measure.end_note},
        )
    return measure


def remind_expiring(*, today: date | None = None) -> int:
    """Mail the applicant and the approvers when an approved measure's end is the policy's number of
    days away (the worker runs this hourly; each reminder goes once). Returns reminders sent."""
    from mamori.paging.transports import smtp_connection

    today = today or timezone.localdate()
    sent = 0
    candidates = ExceptionMeasure.objects.filter(
        state=MeasureState.APPROVED, ends_on__gte=today
    ).select_related("organization", "applicant")
    for measure in candidates:
        spec = active_policy(measure.organization).exception_measures
        if spec is None:
            continue
        days = (measure.ends_on - today).days
        due = [d for d in spec.remind_days_before_end if d >= days and d not in measure.reminded_days]
        if not due:
            continue
        approvers = list(
            Assignment.objects.filter(
                role__organization=measure.organization, role__key__in=spec.approve_roles, role__active=True
            ).select_related("person")
        )
        addresses = sorted({p.email for p in [measure.applicant, *(a.person for a in approvers)] if p.email})
        subject = _("Exception measure No. %(n)s ends on %(date)s") % {
            "n": measure.number,
            "date": measure.ends_on,
        }
        body = _(
            "Exception measure No. %(n)s (%(rule)s) ends in %(days)s days, on %(date)s. "
            "Follow the rule again by then, or apply for a new measure."
        ) % {"n": measure.number, "rule": measure.rule, "days": days, "date": measure.ends_on}
        try:
            if addresses:
                EmailMessage(subject, body, None, addresses, connection=smtp_connection()).send()
        except Exception:
            # The mail server is down: try again on the next pass; nothing is marked sent.
            log.exception("reminder of exception measure %s not sent", measure.pk)
            continue
        with transaction.atomic():
            locked = _lock(measure, None)
            locked.reminded_days = sorted({*locked.reminded_days, *due})
            locked.save(update_fields=["reminded_days"])
            record(
                actor="system",
                action="exception_measure.reminded",
                obj=locked,
                data={"number": locked.number, "days_left": days, "to": addresses},
            )
        sent += 1
    return sent

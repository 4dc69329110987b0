"""Recording the response: timeline actions, evidence with its custody, and tasks.

mutsu 第2条第1号ウ (初動対応・証拠の取得・保全・封じ込め・根絶・復旧), edogawa 基準第27条第1項第2号
(emergency action with an after-the-fact report) and 同第3号 (records to keep).
"""

from datetime import datetime, timedelta
from typing import IO, Any

from django.core.files import File
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from mamori.files import clean_filename, hash_upload
from mamori.journal.services import record

from . import access
from .choices import CustodyEvent, ObligationKind, Phase, State, TaskState
from .editing import lock_incident, policy_of, required_text, save_incident
from .errors import Invalid, NotAllowed, WrongState
from .models import Action, CustodyEntry, Evidence, Incident, Obligation, Task

# Actions and evidence may be recorded from the first report until closure.
RECORDABLE_STATES = (State.RECEIVED, State.TRIAGE, State.RESPONDING, State.RECOVERING, State.PREVENTING)


def _check_open(incident: Incident) -> None:
    if incident.state not in RECORDABLE_STATES:
        raise WrongState(
            _("The incident is %(state)s; reopen it first.") % {"state": incident.get_state_display()}
        )


def _check_moment(value: datetime | None, field: str, errors: dict[str, str]) -> datetime:
    now = timezone.now()
    if value is None:
        return now
    if timezone.is_naive(value):
        value = timezone.make_aware(value)
    if value > now + timedelta(minutes=5):
        errors[field] = _("This time is in the future.")
    elif value.year < 2000:
        errors[field] = _("This date is not plausible.")
    return value


def record_action(
    incident: Incident,
    *,
    actor: Any,
    expected_version: int | None,
    phase: str,
    description: str,
    taken_at: datetime | None = None,
    emergency_action: str = "",
) -> Action:
    """Add to the timeline. An emergency action of the policy (e.g. cutting the network) may be taken
    by its operator role before any approval; it is then listed for the after-the-fact report."""
    policy = policy_of(incident)
    emergency = next((e for e in policy.emergency_actions if e.key == emergency_action), None)
    if emergency_action and emergency is None:
        raise Invalid(fields={"emergency_action": _("Unknown emergency action.")})
    if emergency is not None:
        if not (access.roles_of(actor) & set(emergency.by) or access.can(actor, "respond")):
            raise NotAllowed()
        if actor.organization_id != incident.organization_id:
            raise NotAllowed()
    else:
        access.require(actor, "respond", incident.organization_id)
    errors: dict[str, str] = {}
    description = required_text(description, "description", _("What was done"), errors)
    taken_at = _check_moment(taken_at, "taken_at", errors)
    if phase not in Phase.values:
        errors["phase"] = _("Choose a phase.")
    if errors:
        raise Invalid(fields=errors)
    with transaction.atomic():
        incident = lock_incident(incident, expected_version)
        _check_open(incident)
        action = Action.objects.create(
            incident=incident,
            phase=phase,
            description=description,
            taken_at=taken_at,
            taken_by=actor,
            recorded_at=timezone.now(),
            emergency_action=emergency_action,
        )
        save_incident(incident, [])
        record(
            actor=actor,
            action="action.recorded",
            obj=action,
            organization=incident.organization,
            data={
                "incident": incident.reference,
                "phase": phase,
                "description": description,
                "taken_at": taken_at.isoformat(),
                "emergency_action": emergency_action,
            },
        )
        if emergency is not None:
            titles = ", ".join(getattr(policy.role(k), "title", k) for k in emergency.report_after_to)
            ob = Obligation.objects.create(
                incident=incident,
                key=f"after_report:{action.pk}",
                kind=ObligationKind.AFTER_REPORT,
                role_key=emergency.report_after_to[0],
                basis=emergency.basis or "",
                created_at=timezone.now(),
                text=_("After-the-fact report of “%(action)s” (%(when)s) to %(to)s")
                % {
                    "action": emergency.label,
                    "when": timezone.localtime(taken_at).strftime("%Y-%m-%d %H:%M"),
                    "to": titles,
                },
            )
            record(
                actor=actor,
                action="incident.obligations_listed",
                obj=incident,
                data={"items": [{"key": ob.key, "text": ob.text, "basis": ob.basis}]},
            )
    return action


def add_evidence(
    incident: Incident,
    *,
    actor: Any,
    expected_version: int | None,
    description: str,
    upload: IO[bytes] | None = None,
    filename: str = "",
    content_type: str = "",
    collected_at: datetime | None = None,
    holder: str = "",
) -> Evidence:
    """Keep evidence: a file (stored under its SHA-256) or a description of where it is kept."""
    access.require(actor, "respond", incident.organization_id)
    errors: dict[str, str] = {}
    description = required_text(description, "description", _("The description"), errors)
    collected_at = _check_moment(collected_at, "collected_at", errors)
    if errors:
        raise Invalid(fields=errors)
    sha256, size = hash_upload(upload) if upload is not None else ("", None)
    with transaction.atomic():
        incident = lock_incident(incident, expected_version)
        _check_open(incident)
        evidence = Evidence(
            incident=incident,
            description=description,
            sha256=sha256,
            size=size,
            original_name=clean_filename(filename) if upload is not None else "",
            content_type=(content_type or "")[:100],
            collected_at=collected_at,
            collected_by=actor,
        )
        if upload is not None:
            evidence.file.save(sha256, File(upload), save=False)
        evidence.save()
        CustodyEntry.objects.create(
            evidence=evidence,
            event=CustodyEvent.COLLECTED,
            holder=(holder or str(actor))[:200],
            at=collected_at,
            recorded_by=actor,
        )
        save_incident(incident, [])
        record(
            actor=actor,
            action="evidence.added",
            obj=evidence,
            organization=incident.organization,
            data={
                "incident": incident.reference,
                "description": description,
                "sha256": sha256,
                "size": size,
                "file_name": evidence.original_name,
                "collected_at": collected_at.isoformat(),
            },
        )
    return evidence


def add_custody(
    evidence: Evidence, *, actor: Any, event: str, holder: str, note: str = "", at: datetime | None = None
) -> CustodyEntry:
    incident = evidence.incident
    access.require(actor, "respond", incident.organization_id)
    errors: dict[str, str] = {}
    holder = required_text(holder, "holder", _("Who holds it now"), errors)
    at = _check_moment(at, "at", errors)
    if event not in CustodyEvent.values:
        errors["event"] = _("Choose what happened.")
    if errors:
        raise Invalid(fields=errors)
    with transaction.atomic():
        entry = CustodyEntry.objects.create(
            evidence=evidence, event=event, holder=holder[:200], note=note.strip(), at=at, recorded_by=actor
        )
        record(
            actor=actor,
            action="evidence.custody",
            obj=evidence,
            organization=incident.organization,
            data={
                "incident": incident.reference,
                "event": event,
                "holder": holder,
                "note": note,
                "at": at.isoformat(),
            },
        )
    return entry


def create_task(
    incident: Incident,
    *,
    actor: Any,
    expected_version: int | None,
    title: str,
    details: str = "",
    assignee: Any = None,
    assignee_role: str = "",
    due_at: datetime | None = None,
) -> Task:
    """Give work to a person or a role (e.g. tatebayashi 5.3(3)③: check the same weakness elsewhere)."""
    access.require(actor, "respond", incident.organization_id)
    errors: dict[str, str] = {}
    title = required_text(title, "title", _("The task"), errors)[:200]
    if assignee is None and not assignee_role:
        errors["assignee"] = _("Give the task to a person or a role.")
    if assignee is not None and assignee.organization_id != incident.organization_id:
        errors["assignee"] = _("Choose a person of this organisation.")
    if assignee_role and policy_of(incident).role(assignee_role) is None:
        errors["assignee_role"] = _("Choose a role defined by the policy.")
    if due_at is not None and timezone.is_naive(due_at):
        due_at = timezone.make_aware(due_at)
    if due_at is not None and due_at.year < 2000:
        errors["due_at"] = _("This date is not plausible.")
    if errors:
        raise Invalid(fields=errors)
    with transaction.atomic():
        incident = lock_incident(incident, expected_version)
        _check_open(incident)
        task = Task.objects.create(
            incident=incident,
            title=title,
            details=details.strip(),
            assignee=assignee,
            assignee_role=assignee_role,
            due_at=due_at,
            created_at=timezone.now(),
            created_by=actor,
        )
        save_incident(incident, [])
        record(
            actor=actor,
            action="task.created",
            obj=task,
            organization=incident.organization,
            data={
                "incident": incident.reference,
                "title": title,
                "assignee": str(assignee) if assignee else None,
                "assignee_role": assignee_role,
                "due_at": due_at.isoformat() if due_at else None,
            },
        )
    return task


def complete_task(task: Task, *, actor: Any, result: str) -> Task:
    incident = task.incident
    if actor.organization_id != incident.organization_id:
        raise NotAllowed()
    holds_role = bool(task.assignee_role) and task.assignee_role in access.roles_of(actor)
    if not (task.assignee_id == actor.pk or holds_role or access.can(actor, "respond")):
        raise NotAllowed()
    errors: dict[str, str] = {}
    result = required_text(result, "result", _("The result"), errors)
    if errors:
        raise Invalid(fields=errors)
    with transaction.atomic():
        task = Task.objects.select_for_update().get(pk=task.pk)
        if task.state != TaskState.OPEN:
            raise WrongState(_("This task is already finished."))
        task.state, task.result, task.done_at, task.done_by = TaskState.DONE, result, timezone.now(), actor
        task.save(update_fields=["state", "result", "done_at", "done_by"])
        record(
            actor=actor,
            action="task.done",
            obj=task,
            organization=incident.organization,
            data={"incident": incident.reference, "result": result},
        )
    return task

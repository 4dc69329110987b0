"""Changing an incident: triage, level, handler, merge, lifecycle transitions and obligations.

Every function takes the acting person as keyword-only ``actor``, checks the policy permission,
runs in one transaction and writes its journal entry there (STYLE.md). Functions that edit an
incident take ``expected_version``: the version the person saw, so that two people editing at
once get a clear conflict instead of one silently overwriting the other.
"""

from datetime import datetime, timedelta
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from mamori.journal.services import record
from mamori.paging.services import start_escalation
from mamori.policy.schema import PolicyDocument
from mamori.policy.services import active_version, document_of

from . import access, need_to_know, search
from .choices import ObligationKind, PublicationDecision, State
from .editing import lock_incident, policy_of, required_text, save_incident
from .errors import Invalid, NotAllowed, WrongState
from .models import Approval, Incident, LevelChange, Obligation
from .need_to_know import TOLD_BY_POLICY
from .outside import body_applies, conditions_hold, refresh_external_reports
from .transitions import TRANSITIONS


def _require_state(incident: Incident, transition_name: str) -> None:
    transition = TRANSITIONS[transition_name]
    if incident.state not in transition.sources:
        raise WrongState(
            _("“%(action)s” is not possible while the incident is “%(state)s”.")
            % {"action": transition.label, "state": incident.get_state_display()}
        )


# --- triage ------------------------------------------------------------------------------------


def triage(
    incident: Incident,
    *,
    actor: Any,
    expected_version: int | None,
    is_incident: bool,
    reason: str,
    category: str = "",
    level: int | None = None,
    title: str = "",
    personal_data: bool | None = None,
    restricted: bool | None = None,
    is_drill: bool | None = None,
) -> Incident:
    """Decide whether a report is an incident (mutsu 第2条第1号イ) and, if so, its category and
    level by the organisation's own criteria (komae 第10条第1項, 別表2)."""
    access.require(actor, "triage", incident.organization_id)
    with transaction.atomic():
        incident = lock_incident(incident, expected_version)
        _require_state(incident, "triage_respond" if is_incident else "triage_not_incident")
        version = active_version(incident.organization)
        policy = document_of(version)
        errors: dict[str, str] = {}
        reason = required_text(reason, "reason", _("The reasoning"), errors)
        if title:
            incident.title = title.strip()[:200]
        if is_incident:
            if policy.category(category) is None:
                errors["category"] = _("Choose a category defined by the policy.")
            if policy.level(level) is None:
                errors["level"] = _("Choose a level defined by the policy.")
        if errors:
            raise Invalid(fields=errors)
        now = timezone.now()
        before = {"state": incident.state, "category": incident.category, "level": incident.level}
        incident.policy = version
        incident.triage_reason = reason
        incident.triaged_at = now
        for name, value in (
            ("personal_data", personal_data),
            ("restricted", restricted),
            ("is_drill", is_drill),
        ):
            if value is not None:
                setattr(incident, name, value)
        if is_incident:
            incident.state = State.RESPONDING
            incident.category = category
            incident.level = level
        else:
            incident.state = State.NOT_INCIDENT
            incident.closed_at = now
        save_incident(
            incident,
            [
                "policy",
                "triage_reason",
                "triaged_at",
                "personal_data",
                "restricted",
                "is_drill",
                "state",
                "category",
                "level",
                "closed_at",
                "title",
            ],
        )
        record(
            actor=actor,
            action="incident.triaged",
            obj=incident,
            data={
                "before": before,
                "is_incident": is_incident,
                "category": incident.category,
                "level": incident.level,
                "reason": reason,
                "policy_version": version.version,
                "personal_data": incident.personal_data,
                "restricted": incident.restricted,
                "drill": incident.is_drill,
            },
        )
        if is_incident and level is not None:
            _record_level(incident, None, level, reason, actor=actor, at=now)
            refresh_obligations(incident, actor=actor)
        page_on_transition(incident, "triage_respond" if is_incident else "triage_not_incident", actor=actor)
    return incident


def change_level(
    incident: Incident, *, actor: Any, expected_version: int | None, level: int, reason: str
) -> Incident:
    """Re-classify; every change is kept with who, when and why, and may add obligations."""
    access.require(actor, "triage", incident.organization_id)
    with transaction.atomic():
        incident = lock_incident(incident, expected_version)
        if incident.state not in (State.RESPONDING, State.RECOVERING, State.PREVENTING):
            raise WrongState(_("The level can be changed only while the incident is being handled."))
        errors: dict[str, str] = {}
        reason = required_text(reason, "reason", _("The reason"), errors)
        if policy_of(incident).level(level) is None:
            errors["level"] = _("Choose a level defined by the policy.")
        elif level == incident.level:
            errors["level"] = _("The incident already has this level.")
        if errors:
            raise Invalid(fields=errors)
        before = incident.level
        incident.level = level
        save_incident(incident, ["level"])
        _record_level(incident, before, level, reason, actor=actor, at=timezone.now())
        refresh_obligations(incident, actor=actor)
    return incident


def _record_level(
    incident: Incident, before: int | None, after: int, reason: str, *, actor: Any, at: datetime
) -> None:
    change = LevelChange.objects.create(
        incident=incident, from_level=before, to_level=after, reason=reason, changed_by=actor, changed_at=at
    )
    record(
        actor=actor,
        action="incident.level_changed",
        obj=incident,
        data={"from": before, "to": after, "reason": reason, "level_change": change.pk},
    )


def set_flags(
    incident: Incident,
    *,
    actor: Any,
    expected_version: int | None,
    personal_data: bool,
    restricted: bool,
    is_drill: bool,
    affected_systems: str,
    title: str,
) -> Incident:
    access.require(actor, "triage", incident.organization_id)
    with transaction.atomic():
        incident = lock_incident(incident, expected_version)
        if not incident.is_open:
            raise WrongState()
        title = (title or "").strip()
        if not title:
            raise Invalid(fields={"title": _("The title is required.")})
        changes = {
            k: v
            for k, v in {
                "personal_data": personal_data,
                "restricted": restricted,
                "is_drill": is_drill,
                "affected_systems": affected_systems.strip(),
                "title": title[:200],
            }.items()
            if getattr(incident, k) != v
        }
        if not changes:
            return incident
        for k, v in changes.items():
            setattr(incident, k, v)
        save_incident(incident, list(changes))
        record(actor=actor, action="incident.updated", obj=incident, data=changes)
        if changes.get("restricted"):
            # Those the policy already had told keep what they were told to know about.
            for role_key in set(incident.escalations.values_list("role_key", flat=True)):
                need_to_know.grant_for_duty(incident, actor=actor, role_key=role_key, duty=TOLD_BY_POLICY)
        if incident.state not in State.queue_states():
            refresh_obligations(incident, actor=actor)
    return incident


def assign_handler(incident: Incident, *, actor: Any, expected_version: int | None, handler: Any) -> Incident:
    """The CSIRT manager names the handler (komae 第6条第1号)."""
    access.require(actor, "assign", incident.organization_id)
    with transaction.atomic():
        incident = lock_incident(incident, expected_version)
        if not incident.is_open:
            raise WrongState()
        if handler is not None and (
            handler.organization_id != incident.organization_id or not handler.is_active
        ):
            raise Invalid(fields={"handler": _("Choose an active person of this organisation.")})
        if handler is not None and not access.can(handler, "respond"):
            raise Invalid(fields={"handler": _("This person holds no role that may respond to incidents.")})
        before = incident.handler
        incident.handler = handler
        save_incident(incident, ["handler"])
        record(
            actor=actor,
            action="incident.handler_assigned",
            obj=incident,
            data={
                "from": str(before) if before else None,
                "to": str(handler) if handler else None,
                "handler_id": handler.pk if handler else None,
            },
        )
    return incident


def merge(incident: Incident, *, actor: Any, expected_version: int | None, into: Incident) -> Incident:
    """Join a duplicate report to the incident it describes; its reports move there."""
    access.require(actor, "triage", incident.organization_id)
    if into.organization_id != incident.organization_id or into.pk == incident.pk:
        raise Invalid(fields={"into": _("Choose another incident of this organisation.")})
    with transaction.atomic():
        incident = lock_incident(incident, expected_version)
        _require_state(incident, "merge")
        target = Incident.objects.select_for_update().get(pk=into.pk)
        if target.state in (State.MERGED,):
            raise Invalid(
                fields={"into": _("That incident was itself merged; choose the one it was merged into.")}
            )
        moved = list(incident.reports.values_list("reference", flat=True))
        incident.reports.update(incident=target)
        incident.state = State.MERGED
        incident.merged_into = target
        incident.closed_at = timezone.now()
        save_incident(incident, ["state", "merged_into", "closed_at"])
        save_incident(target, [])
        search.reindex_many([incident, target])
        record(
            actor=actor,
            action="incident.merged",
            obj=incident,
            data={"into": target.reference, "reports": moved},
        )
        record(
            actor=actor,
            action="incident.reports_joined",
            obj=target,
            data={"from": incident.reference, "reports": moved},
        )
    return target


# --- lifecycle ---------------------------------------------------------------------------------


def transition(
    incident: Incident, name: str, *, actor: Any, expected_version: int | None, **fields: str
) -> Incident:
    """Apply one generic transition of the lifecycle table, with the fields it requires."""
    spec = TRANSITIONS.get(name)
    if spec is None or not spec.generic:
        raise Invalid(fields={"transition": _("Unknown transition.")})
    access.require(actor, spec.permission, incident.organization_id)
    with transaction.atomic():
        incident = lock_incident(incident, expected_version)
        _require_state(incident, name)
        errors: dict[str, str] = {}
        labels = {
            "summary": _("The summary"),
            "root_cause": _("The root cause"),
            "prevention_measures": _("The recurrence-prevention measures"),
            "reason": _("The reason"),
        }
        values = {f: required_text(fields.get(f), f, str(labels[f]), errors) for f in spec.requires}
        if name == "close":
            _check_closable(incident, errors)
        if errors:
            raise Invalid(fields=errors)
        before = incident.state
        incident.state = spec.target
        changed = ["state"]
        for f in ("summary", "root_cause", "prevention_measures"):
            if f in values:
                setattr(incident, f, values[f])
                changed.append(f)
        if spec.target == State.RECOVERING and incident.contained_at is None:
            incident.contained_at = timezone.now()
            changed.append("contained_at")
        if spec.target == State.CLOSED:
            incident.closed_at = timezone.now()
            changed.append("closed_at")
        elif before in (State.CLOSED, State.NOT_INCIDENT):
            incident.closed_at = None
            changed.append("closed_at")
        save_incident(incident, changed)
        record(
            actor=actor,
            action=f"incident.{name}",
            obj=incident,
            data={"from": before, "to": incident.state, **values},
        )
        page_on_transition(incident, name, actor=actor)
    return incident


def page_on_transition(incident: Incident, name: str, *, actor: Any) -> None:
    """Tell the roles the policy ties to this change of state (e.g. komae 第12条第2項: the CISO is
    told of the outcome). Keyed by the incident's version, so a second closure pages again."""
    policy = policy_of(incident)
    for rule in policy.escalation.on_transition.get(name, []):  # type: ignore[call-overload]
        start_escalation(
            incident,
            actor=actor,
            key=f"transition:{name}:{rule.role}:{incident.version}",
            role_key=rule.role,
            text=rule.text,
            basis=rule.basis or "",
            ack_minutes=rule.within_minutes,
        )


def _check_closable(incident: Incident, errors: dict[str, str]) -> None:
    """Closure needs every listed obligation done or marked not needed, and the publication decision
    (komae 第12条; tatebayashi 5.3(3); edogawa 基準第27条)."""
    pending = incident.obligations.filter(done_at__isnull=True).count()
    if pending:
        errors["obligations"] = _("%(count)s item(s) of the checklist are still open.") % {"count": pending}
    if not incident.publication_decision:
        errors["publication_decision"] = _(
            "The decision on outside reporting and publication has not been recorded."
        )
    open_tasks = incident.tasks.filter(state="open").count()
    if open_tasks:
        errors["tasks"] = _("%(count)s task(s) are still open.") % {"count": open_tasks}
    open_reports = incident.external_reports.filter(status__in=["due", "drafted"]).count()
    if open_reports:
        errors["external_reports"] = _("%(count)s outside report(s) are neither sent nor waived.") % {
            "count": open_reports
        }


def request_publication(
    incident: Incident, *, actor: Any, expected_version: int | None, decision: str, reason: str
) -> Approval:
    """Ask the role the policy names to decide on outside reporting and publication (komae 第12条第1項:
    the CSIRT管理者 reports and obtains the CSIRT責任者's approval). Pages that role."""
    access.require(actor, "respond", incident.organization_id)
    with transaction.atomic():
        incident = lock_incident(incident, expected_version)
        if not incident.is_open or incident.state in State.queue_states():
            raise WrongState()
        errors: dict[str, str] = {}
        reason = required_text(reason, "reason", _("The reason"), errors)
        if decision not in (PublicationDecision.PUBLISH, PublicationDecision.NOT_PUBLISH):
            errors["decision"] = _("Choose whether to publish.")
        if incident.approvals.filter(
            subject=Approval.Subject.PUBLICATION, state=Approval.State.PENDING
        ).exists():
            errors["decision"] = _("A request is already waiting for a decision.")
        if errors:
            raise Invalid(fields=errors)
        approval = Approval.objects.create(
            incident=incident,
            subject=Approval.Subject.PUBLICATION,
            proposal=decision,
            text=reason,
            requested_by=actor,
            requested_at=timezone.now(),
        )
        save_incident(incident, [])
        record(
            actor=actor,
            action="approval.requested",
            obj=approval,
            organization=incident.organization,
            data={"incident": incident.reference, "proposal": decision, "text": reason},
        )
        policy = policy_of(incident)
        if incident.restricted:
            # Those who decide must be able to read what they decide on: added by name, on the record.
            need_to_know.grant_for_duty(
                incident, actor=actor, role_key=policy.publication.decided_by, duty=_("publication decision")
            )
        start_escalation(
            incident,
            actor=actor,
            key=f"approval:{approval.pk}",
            role_key=policy.publication.decided_by,
            text=_("Decision requested: %(proposal)s — %(reason)s (requested by %(who)s)")
            % {"proposal": PublicationDecision(decision).label, "reason": reason, "who": actor},
            basis=policy.publication.basis or "",
            ack_minutes=None,
        )
    return approval


def decide_approval(approval: Approval, *, actor: Any, approve: bool, comment: str = "") -> Approval:
    """Approve or reject, by a role granted approve_publication — never by the person who asked
    (tatebayashi 1(8) 兼務の禁止). Approval records the publication decision on the incident."""
    incident = approval.incident
    access.require(actor, "approve_publication", incident.organization_id)
    if approval.requested_by_id == getattr(actor, "pk", None):
        raise NotAllowed(
            _("The person who requested a decision cannot also decide it (separation of duties).")
        )
    with transaction.atomic():
        approval = Approval.objects.select_for_update(of=("self",)).get(pk=approval.pk)
        if approval.state != Approval.State.PENDING:
            raise WrongState(_("This request was already decided."))
        incident = lock_incident(incident, None)
        if not incident.is_open:
            raise WrongState()
        now = timezone.now()
        if not approve and not comment.strip():
            raise Invalid(fields={"comment": _("Say why the request is rejected.")})
        approval.state = Approval.State.APPROVED if approve else Approval.State.REJECTED
        approval.decided_by, approval.decided_at, approval.comment = actor, now, comment.strip()
        approval.save(update_fields=["state", "decided_by", "decided_at", "comment"])
        record(
            actor=actor,
            action=f"approval.{approval.state}",
            obj=approval,
            organization=incident.organization,
            data={
                "incident": incident.reference,
                "proposal": approval.proposal,
                "comment": approval.comment,
                "requested_by": approval.requested_by.username,
            },
        )
        if approve:
            reason = approval.text + (f"\n{approval.comment}" if approval.comment else "")
            incident.publication_decision, incident.publication_reason = approval.proposal, reason
            save_incident(incident, ["publication_decision", "publication_reason"])
            Obligation.objects.filter(incident=incident, key="publication", done_at__isnull=True).update(
                done_at=now, done_by=actor, outcome=reason
            )
            record(
                actor=actor,
                action="incident.publication_decided",
                obj=incident,
                data={"decision": approval.proposal, "reason": reason, "approval": approval.pk},
            )
        else:
            save_incident(incident, [])
    return approval


# --- obligations (the checklist of what the policy requires) -------------------------------------


def expected_obligations(incident: Incident, policy: PolicyDocument, now: datetime) -> list[dict[str, Any]]:
    """What the policy ties to this incident's level, category and flags, with the article of each."""
    items: list[dict[str, Any]] = []
    level = policy.level(incident.level)
    if level is not None:
        for n in level.notify:
            role = policy.role(n.role)
            items.append(
                {
                    "key": f"notify:{n.role}",
                    "kind": ObligationKind.NOTIFY,
                    "role_key": n.role,
                    "text": f"{role.title if role else n.role}: {n.text}",
                    "basis": n.basis or "",
                    "due_at": now + timedelta(minutes=n.within_minutes)
                    if n.within_minutes is not None
                    else None,
                }
            )
    for body in policy.outside_bodies:
        if not conditions_hold(body, incident):
            continue
        if body.reports and body_applies(body, incident):
            continue  # owed: listed as outside reports with their clocks, not as a decision
        decider = policy.role(body.decided_by) if body.decided_by else None
        text = _("Decide whether to report to %(body)s (%(when)s)") % {"body": body.name, "when": body.when}
        if body.triggers:
            text += _("; required if any of: %(triggers)s") % {
                "triggers": "、".join(t.label for t in body.triggers)
            }
        if decider:
            text += _(" — decided by %(role)s") % {"role": decider.title}
        items.append(
            {
                "key": f"outside:{body.key}",
                "kind": ObligationKind.OUTSIDE_BODY,
                "role_key": body.decided_by or "",
                "text": text,
                "basis": body.basis or "",
                "due_at": None,
            }
        )
    category = policy.category(incident.category)
    if category is not None:
        for i, check in enumerate(category.checklist):
            items.append(
                {
                    "key": f"check:{category.key}:{i}",
                    "kind": ObligationKind.CHECKLIST,
                    "role_key": "",
                    "text": check.text,
                    "basis": check.basis or "",
                    "due_at": None,
                }
            )
    for i, text in enumerate(policy.closure.records_to_keep):
        items.append(
            {
                "key": f"record:{i}",
                "kind": ObligationKind.CHECKLIST,
                "role_key": "",
                "text": _("Keep the record: %(what)s") % {"what": text},
                "basis": policy.closure.basis or "",
                "due_at": None,
            }
        )
    decider = policy.role(policy.publication.decided_by)
    items.append(
        {
            "key": "publication",
            "kind": ObligationKind.PUBLICATION,
            "role_key": policy.publication.decided_by,
            "text": _("Decide on outside reporting and publication — decided by %(role)s")
            % {"role": decider.title if decider else policy.publication.decided_by},
            "basis": policy.publication.basis or "",
            "due_at": None,
        }
    )
    return items


def refresh_obligations(incident: Incident, *, actor: Any) -> list[Obligation]:
    """List what the policy now requires. Items already listed stay as they are (done or not), so
    a level going down never hides what was owed at the higher level."""
    now = timezone.now()
    existing = set(incident.obligations.values_list("key", flat=True))
    created = []
    for item in expected_obligations(incident, policy_of(incident), now):
        if item["key"] in existing:
            continue
        ob = Obligation.objects.create(incident=incident, created_at=now, **item)
        created.append(ob)
    policy = policy_of(incident)
    for ob in created:
        if ob.kind == ObligationKind.NOTIFY:
            # Telling a role is not done until one of its people acknowledges (paging).
            start_escalation(
                incident,
                actor=actor,
                key=ob.key,
                role_key=ob.role_key,
                text=ob.text,
                basis=ob.basis,
                ack_minutes=_notify_minutes(policy, incident, ob.role_key),
                obligation=ob,
            )
    if created:
        record(
            actor=actor,
            action="incident.obligations_listed",
            obj=incident,
            data={
                "items": [
                    {
                        "key": o.key,
                        "text": o.text,
                        "basis": o.basis,
                        "due_at": o.due_at.isoformat() if o.due_at else None,
                    }
                    for o in created
                ]
            },
        )
    refresh_external_reports(incident, actor=actor, policy=policy)
    return created


def _notify_minutes(policy: PolicyDocument, incident: Incident, role_key: str) -> int | None:
    level = policy.level(incident.level)
    return next((n.within_minutes for n in (level.notify if level else []) if n.role == role_key), None)


def complete_obligation(
    obligation: Obligation, *, actor: Any, outcome: str, waived: bool = False
) -> Obligation:
    incident = obligation.incident
    permission = "approve_publication" if obligation.kind == ObligationKind.PUBLICATION else "respond"
    access.require(actor, permission, incident.organization_id)
    with transaction.atomic():
        ob = Obligation.objects.select_for_update().get(pk=obligation.pk)
        if ob.done_at is not None:
            raise WrongState(_("This item is already done."))
        if not ob.incident.is_open:
            raise WrongState()
        errors: dict[str, str] = {}
        outcome = required_text(outcome, "outcome", _("What was done (or why it is not needed)"), errors)
        if errors:
            raise Invalid(fields=errors)
        ob.done_at, ob.done_by, ob.outcome, ob.waived = timezone.now(), actor, outcome, waived
        ob.save(update_fields=["done_at", "done_by", "outcome", "waived"])
        record(
            actor=actor,
            action="obligation.waived" if waived else "obligation.done",
            obj=ob,
            organization=incident.organization,
            data={"incident": incident.reference, "key": ob.key, "outcome": outcome},
        )
    return ob

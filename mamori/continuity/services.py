"""Declaring and ending an emergency of the ICT business-continuity plan (katsushika 4(2), 5(1)).

A declaration, in one transaction: the emergency with the convening rule that applied, a roll-call entry
and its messages for every member of the division (rollcall.py), the command chain paged (電算機管理者, then
代行者1・2・3: paging), the recovery checklist of every system in use (recovery.py), and the journal.
"""

from dataclasses import dataclass, fields
from datetime import datetime, timedelta
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from mamori import wareki
from mamori.incidents.errors import Invalid, NotAllowed, WrongState
from mamori.incidents.models import Incident
from mamori.journal.services import record
from mamori.paging.choices import EscalationState, PageState
from mamori.paging.models import Escalation
from mamori.paging.services import acknowledge, start_emergency_chain
from mamori.people.models import Organization
from mamori.policy.schema_bcp import BcpSpec
from mamori.policy.services import active_version, document_of

from . import access, convening, recovery, rollcall
from .choices import EmergencyState, Intensity
from .models import Emergency

COMMAND_KEY = "bcp.command"
SCOPE_MAX = 4000


@dataclass
class Declaration:
    kind: str
    occurred_at: datetime
    intensity: str = ""
    headquarters: bool = False
    scope: str = ""
    # Where the rule leaves it to the person declaring (情報セキュリティ事象: 電算機管理者の指示).
    convene: str = ""
    convene_teams: list[str] | None = None
    incident_reference: str = ""
    is_drill: bool = False

    @classmethod
    def from_form(cls, data: dict[str, Any], **given: Any) -> "Declaration":
        """From a form's cleaned data (forms.DeclareForm, or DrillForm with ``given`` for what it lacks)."""
        names = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in names}, **given)


def plan_of_org(organization: Organization) -> tuple[Any, BcpSpec]:
    version = active_version(organization)
    plan = document_of(version).bcp
    if plan is None:
        raise WrongState(_("The policy has no business-continuity plan (section bcp)."))
    return version, plan


def _check(plan: BcpSpec, data: Declaration, organization: Organization) -> tuple[Any, Incident | None]:
    errors: dict[str, str] = {}
    kind = plan.kind(data.kind)
    if kind is None:
        errors["kind"] = _("Choose one of the plan's kinds of emergency.")
    elif kind.intensity and data.intensity not in Intensity.values:
        errors["intensity"] = _("Give the seismic intensity (震度).")
    elif not kind.intensity and data.intensity:
        errors["intensity"] = _("This kind of emergency has no seismic intensity.")
    if data.occurred_at > timezone.now() + timedelta(minutes=5):
        errors["occurred_at"] = _("The time it occurred cannot be in the future.")
    if len(data.scope) > SCOPE_MAX:
        errors["scope"] = _("At most %(n)s characters.") % {"n": SCOPE_MAX}
    if kind is not None:
        rule = convening.applicable_rule(kind, intensity=data.intensity, headquarters=data.headquarters)
        if rule is not None and rule.convene == "decided":
            if data.convene not in ("all", "teams", "none"):
                errors["convene"] = _("The plan leaves it to you: say who must come.")
            elif data.convene == "teams":
                unknown = [t for t in data.convene_teams or [] if plan.team(t) is None]
                if unknown or not data.convene_teams:
                    errors["convene_teams"] = _("Choose the teams that must come.")
    incident = None
    if data.incident_reference.strip():
        incident = Incident.objects.filter(
            organization=organization, reference=data.incident_reference.strip()
        ).first()
        if incident is None:
            errors["incident_reference"] = _("No incident of your organisation has this reference.")
    if errors:
        raise Invalid(fields=errors)
    return kind, incident


def _next_reference(organization: Organization, at: datetime) -> str:
    fy = wareki.fiscal_year(at)
    prefix = f"E{fy}-"
    taken = Emergency.objects.filter(organization=organization, reference__startswith=prefix).count()
    return f"{prefix}{taken + 1:03d}"


def declare(
    organization: Organization, data: Declaration, *, actor: Any, training_session: Any = None
) -> Emergency:
    if actor.organization_id != organization.pk or not access.may_declare(actor):
        raise NotAllowed()
    version, plan = plan_of_org(organization)
    kind, incident = _check(plan, data, organization)
    policy = document_of(version)
    now = timezone.now()
    with transaction.atomic():
        # One declaration at a time per organisation: the reference counts the year's emergencies.
        Organization.objects.select_for_update().filter(pk=organization.pk).first()
        members = convening.division(policy, organization.pk)
        decision = convening.decide(
            plan,
            kind,
            members,
            intensity=data.intensity,
            headquarters=data.headquarters,
            decided=data.convene,
            decided_teams=data.convene_teams,
        )
        emergency = Emergency.objects.create(
            organization=organization,
            policy=version,
            reference=_next_reference(organization, now),
            kind=kind.key,
            kind_label=kind.label,
            intensity=data.intensity if kind.intensity else "",
            headquarters=data.headquarters,
            scope=data.scope.strip(),
            occurred_at=data.occurred_at,
            declared_at=now,
            declared_by=actor,
            convening=decision.as_dict(),
            incident=incident,
            is_drill=data.is_drill,
            training_session=training_session,
        )
        record(
            actor=actor,
            action="emergency.declared",
            obj=emergency,
            data={
                "kind": kind.label,
                "intensity": emergency.get_intensity_display() if emergency.intensity else None,
                "headquarters": data.headquarters,
                "scope": emergency.scope,
                "occurred_at": data.occurred_at.isoformat(),
                "convening": decision.as_dict(),
                "incident": incident.reference if incident else None,
                "drill": data.is_drill,
            },
        )
        rollcall.open_rollcall(emergency, plan, members, now=now)
        escalation = start_emergency_chain(
            emergency,
            actor=actor,
            key=COMMAND_KEY,
            role_key=plan.command_role,
            text=_(
                "Emergency %(emergency)s declared: take command of the ICT department's response "
                "(start and end of investigation and response, reports to the headquarters)."
            )
            % {"emergency": emergency},
            basis=plan.basis or "",
            ack_minutes=plan.command_ack_minutes,
        )
        recovery.open_checklist(emergency, policy)
        # The person declaring, when they are the one paged, takes command at once (they clearly can).
        current = escalation.pages.filter(state=PageState.OPEN, recipient=actor).first()
        if current is not None:
            acknowledge(current, actor=actor, via="declaration")
    return emergency


def end(emergency: Emergency, *, actor: Any, note: str = "") -> Emergency:
    """解除: the command chain stops, reminders stop, those who could not come are no longer skipped."""
    if actor.organization_id != emergency.organization_id or not access.may_declare(actor):
        raise NotAllowed()
    if len(note) > SCOPE_MAX:
        raise Invalid(fields={"note": _("At most %(n)s characters.") % {"n": SCOPE_MAX}})
    with transaction.atomic():
        emergency = Emergency.objects.select_for_update().get(pk=emergency.pk)
        if not emergency.active:
            raise WrongState(_("This emergency has already ended."))
        now = timezone.now()
        emergency.state, emergency.ended_at, emergency.ended_by = EmergencyState.ENDED, now, actor
        emergency.end_note = note.strip()
        emergency.save(update_fields=["state", "ended_at", "ended_by", "end_note"])
        rollcall.close_rollcall(emergency, actor=actor, now=now)
        for chain in Escalation.objects.filter(
            emergency=emergency, state__in=[EscalationState.OPEN, EscalationState.EXHAUSTED]
        ):
            chain.pages.filter(state=PageState.OPEN).update(state=PageState.CLOSED)
            chain.state, chain.next_check_at = EscalationState.CANCELLED, None
            chain.save(update_fields=["state", "next_check_at"])
            record(
                actor=actor,
                action="escalation.cancelled",
                obj=chain,
                data={"emergency": emergency.reference, "subject_state": emergency.state},
                organization=emergency.organization,
            )
        record(actor=actor, action="emergency.ended", obj=emergency, data={"note": emergency.end_note})
    return emergency


@dataclass
class Command:
    """Who commands now (shown on every page while the emergency is in force)."""

    person: Any
    acting_for: Any
    settled: bool  # acknowledged; otherwise this person is being paged
    nobody: bool = False


def command_of(emergency: Emergency) -> Command | None:
    escalation = (
        Escalation.objects.filter(emergency=emergency, key=COMMAND_KEY)
        .select_related("acknowledged_by")
        .first()
    )
    if escalation is None:
        return None
    if escalation.state == EscalationState.ACKNOWLEDGED:
        page = escalation.pages.filter(state=PageState.ACKNOWLEDGED).select_related("acting_for").first()
        return Command(escalation.acknowledged_by, page.acting_for if page else None, settled=True)
    page = (
        escalation.pages.filter(state=PageState.OPEN, is_fallback=False)
        .select_related("recipient", "acting_for")
        .order_by("-step")
        .first()
    )
    if page is None:
        return Command(None, None, settled=False, nobody=True)
    return Command(page.recipient, page.acting_for, settled=False)


def active_emergencies(user: Any) -> list[tuple[Emergency, Command | None]]:
    """The banner: emergencies in force that this person may see, with who commands."""
    # Read from the roles and the policy already cached for the request: no query for those outside the plan.
    if not getattr(user, "organization_id", None) or not access.may_view(user):
        return []
    active = list(
        Emergency.objects.filter(organization_id=user.organization_id, state=EmergencyState.ACTIVE)[:5]
    )
    return [(e, command_of(e)) for e in active]

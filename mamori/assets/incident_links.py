"""Incidents and the systems they touch: which systems are affected, what their classes suggest, and
the cross-system checks (横展開確認) of the systems that share something with them.

tatebayashi 5.3(3)③: the CSIRT considers whether the same incident may be happening in another system
and has that system's 情報システム管理者 check. Here one action finds every system sharing the affected
systems' software, vendor or network segment (the person chooses which of the three), gives each one's
administrator a task (incidents.response.create_task), and keeps the answer beside it.
"""

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from mamori.incidents import access as incident_access
from mamori.incidents.editing import lock_incident, policy_of, save_incident
from mamori.incidents.errors import Invalid, NotAllowed, WrongState
from mamori.incidents.models import Incident
from mamori.incidents.response import complete_task, create_task
from mamori.journal.services import record
from mamori.policy.schema import PolicyDocument

from .models import AffectedSystem, CheckFinding, CrossSystemCheck, InformationSystem, product_key

SHARE_KINDS = ("software", "vendor", "segment")


def may_link(user: Any, incident: Incident) -> bool:
    """Choosing affected systems is part of triage and of the response."""
    return user.organization_id == incident.organization_id and (
        incident_access.can(user, "triage") or incident_access.can(user, "respond")
    )


def set_affected_systems(incident: Incident, *, actor: Any, systems: list[InformationSystem]) -> bool:
    """Make ``systems`` the incident's affected systems; journals what was added and removed."""
    if not may_link(actor, incident):
        raise NotAllowed()
    if any(s.organization_id != incident.organization_id for s in systems):
        raise Invalid(_("Choose systems of this organisation."))
    with transaction.atomic():
        incident = lock_incident(incident, None)
        current = {
            a.system_id: a for a in AffectedSystem.objects.filter(incident=incident).select_related("system")
        }
        wanted = {s.pk: s for s in systems}
        added = [s for pk, s in wanted.items() if pk not in current]
        removed = [a for pk, a in current.items() if pk not in wanted]
        if not added and not removed:
            return False
        AffectedSystem.objects.filter(pk__in=[a.pk for a in removed]).delete()
        now = timezone.now()
        AffectedSystem.objects.bulk_create(
            AffectedSystem(incident=incident, system=s, added_at=now, added_by=actor) for s in added
        )
        save_incident(incident, [])
        record(
            actor=actor,
            action="incident.systems_set",
            obj=incident,
            data={"added": [str(s) for s in added], "removed": [str(a.system) for a in removed]},
        )
    return True


@dataclass
class Hints:
    """What the affected systems' classes suggest, each with the rule it comes from."""

    level: int | None = None
    level_label: str = ""
    level_reasons: list[tuple[str, str]] = field(default_factory=list)  # (what, basis or note)
    outside: list[tuple[str, str]] = field(default_factory=list)


def hints_for(policy: PolicyDocument, systems: list[InformationSystem]) -> Hints:
    hints = Hints()
    spec = policy.asset_register
    for hint in spec.level_hints if spec else []:
        axis = policy.axis(hint.axis)
        for system in systems:
            level_key = system.classification.get(hint.axis)
            if axis is None or level_key not in hint.levels:
                continue
            label = next((lv.label for lv in axis.levels if lv.key == level_key), level_key)
            target = policy.level(hint.suggest_level)
            if hints.level is None or hint.suggest_level > hints.level:
                hints.level = hint.suggest_level
                hints.level_label = target.label if target else str(hint.suggest_level)
            hints.level_reasons.append(
                (
                    _("“%(system)s” is %(class)s: suggests %(level)s.")
                    % {
                        "system": system.name,
                        "class": label,
                        "level": target.label if target else hint.suggest_level,
                    },
                    hint.basis or hint.note or "",
                )
            )
    holders = [s for s in systems if s.personal_data]
    for body in policy.outside_bodies:
        if body.applies.personal_data is not True or not holders:
            continue
        for system in holders:
            persons = (
                _("%(n)s persons") % {"n": f"{system.personal_data_count:,}"}
                if system.personal_data_count is not None
                else _("number of persons not recorded")
            )
            hints.outside.append(
                (
                    _(
                        "“%(system)s” holds personal data (%(persons)s): check whether %(body)s must be told. %(when)s"
                    )
                    % {"system": system.name, "persons": persons, "body": body.name, "when": body.when},
                    body.basis or body.note or "",
                )
            )
            for trigger in body.triggers:
                count = system.personal_data_count
                if (
                    trigger.kind == "count"
                    and count is not None
                    and trigger.more_than is not None
                    and count > trigger.more_than
                ):
                    hints.outside.append(
                        (
                            _("“%(system)s” holds data of %(n)s persons: %(trigger)s may apply.")
                            % {"system": system.name, "n": f"{count:,}", "trigger": trigger.label},
                            trigger.basis or trigger.note or "",
                        )
                    )
    return hints


def _vendor_key(vendor: str) -> str:
    return product_key(vendor)


def related_systems(
    incident: Incident, kinds: list[str]
) -> list[tuple[InformationSystem, list[dict[str, str]]]]:
    """Systems in use, not affected, sharing software, vendor or segment with an affected one."""
    affected = [
        a.system
        for a in AffectedSystem.objects.filter(incident=incident)
        .select_related("system")
        .prefetch_related("system__software")
    ]
    others = (
        InformationSystem.objects.filter(organization_id=incident.organization_id, in_use=True)
        .exclude(pk__in=[s.pk for s in affected])
        .select_related("administrator", "operator")
        .prefetch_related("software")
    )
    found = []
    for other in others:
        shared: list[dict[str, str]] = []
        other_products = {s.product_key: s for s in other.software.all()}
        for system in affected:
            if "software" in kinds:
                for item in system.software.all():
                    if item.product_key in other_products:
                        shared.append(
                            {
                                "kind": "software",
                                "value": str(other_products[item.product_key]),
                                "via": system.code,
                            }
                        )
            if (
                "vendor" in kinds
                and system.vendor
                and _vendor_key(system.vendor) == _vendor_key(other.vendor)
            ):
                shared.append({"kind": "vendor", "value": other.vendor, "via": system.code})
            if "segment" in kinds and system.segment and system.segment == other.segment:
                shared.append({"kind": "segment", "value": other.segment, "via": system.code})
        if shared:
            found.append((other, shared))
    return found


def start_cross_checks(
    incident: Incident,
    *,
    actor: Any,
    kinds: list[str],
    due_at: datetime | None,
    expected_version: int | None,
) -> list[CrossSystemCheck]:
    """Give the administrator of every related system a check task (tatebayashi 5.3(3)③)."""
    incident_access.require(actor, "respond", incident.organization_id)
    kinds = [k for k in kinds if k in SHARE_KINDS]
    if not kinds:
        raise Invalid(fields={"kinds": _("Choose what the systems to check must share.")})
    policy = policy_of(incident)
    keeper_roles = policy.roles_for("edit_systems")
    created: list[CrossSystemCheck] = []
    with transaction.atomic():
        incident = lock_incident(incident, expected_version)
        if not AffectedSystem.objects.filter(incident=incident).exists():
            raise WrongState(_("Choose the affected systems first."))
        asked = set(CrossSystemCheck.objects.filter(incident=incident).values_list("system_id", flat=True))
        labels = {"software": _("software"), "vendor": _("vendor"), "segment": _("network segment")}
        for system, shared in related_systems(incident, kinds):
            if system.pk in asked:
                continue
            assignee = system.administrator or system.operator
            lines = [
                _(
                    "Is the same incident (%(reference)s: %(title)s) happening in “%(system)s”? Check it and answer."
                )
                % {"reference": incident.reference, "title": incident.title, "system": system},
                *(f"・{labels[s['kind']]}: {s['value']}（{s['via']}）" for s in shared),
            ]
            task = create_task(
                incident,
                actor=actor,
                expected_version=None,
                title=(_("Cross-system check: %(system)s") % {"system": system})[:200],
                details="\n".join(lines),
                assignee=assignee,
                # Nobody keeps this system: the register's keeper (edit_systems) is asked instead.
                assignee_role=""
                if assignee
                else (keeper_roles[0] if keeper_roles else policy.escalation.fallback_role),
                due_at=due_at,
            )
            created.append(
                CrossSystemCheck.objects.create(incident=incident, system=system, task=task, shared=shared)
            )
        if not created:
            raise WrongState(
                _("No other system shares what you chose, or every one of them was already asked.")
            )
        save_incident(incident, [])
        record(
            actor=actor,
            action="incident.cross_checks_started",
            obj=incident,
            data={"kinds": kinds, "systems": [str(c.system) for c in created]},
        )
    return created


def may_answer(user: Any, check: CrossSystemCheck) -> bool:
    """The person asked, a holder of the role asked, or anyone in the response (as complete_task allows)."""
    task = check.task
    held = bool(task.assignee_role) and task.assignee_role in incident_access.roles_of(user)
    return task.assignee_id == user.pk or held or incident_access.can(user, "respond")


def answer_check(check: CrossSystemCheck, *, actor: Any, finding: str, result: str) -> CrossSystemCheck:
    """The administrator's answer: affected or not, and what they found. Closes the task."""
    if finding not in (CheckFinding.AFFECTED, CheckFinding.NOT_AFFECTED):
        raise Invalid(fields={"finding": _("Say whether the system is affected.")})
    with transaction.atomic():
        check = (
            CrossSystemCheck.objects.select_for_update()
            .select_related("task__incident", "system")
            .get(pk=check.pk)
        )
        complete_task(check.task, actor=actor, result=result)  # who may answer, and the task's own entry
        check.finding = finding
        check.save(update_fields=["finding"])
        record(
            actor=actor,
            action="cross_check.answered",
            obj=check.task.incident,
            data={"system": str(check.system), "finding": finding, "result": result.strip()},
        )
    return check

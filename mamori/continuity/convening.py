"""参集ルール: who of the division must come, from the policy (katsushika 5(1)ア).

The division is everyone holding one of the plan's roles: its teams' roles (連絡調整・インフラ・業務システム)
and ``member_roles`` (the 電算機管理者 and 代行者 outside the teams). The first convening rule of the
emergency's kind that applies decides: all of them, a share, some teams, what the declaring person
decided (情報セキュリティ事象: 電算機管理者の指示), or nobody.
"""

import math
from dataclasses import dataclass, field
from typing import Any

from django.utils.translation import gettext as _

from mamori.paging.services import chain_for
from mamori.people.models import Assignment
from mamori.policy.schema import PolicyDocument
from mamori.policy.schema_bcp import BcpSpec, ConveningRule, EmergencyKind

from .choices import at_least


@dataclass
class Member:
    person_id: int
    team: str  # the team key, "" for the command chain outside the teams
    must_convene: bool = False


@dataclass
class Decision:
    """What the rule decided; kept on the emergency as it was worked out."""

    convene: str  # all / share / teams / none
    basis: str
    share_percent: int | None = None
    teams: list[str] = field(default_factory=list)
    members: int = 0
    required: int = 0

    def as_dict(self) -> dict[str, Any]:
        return {
            "convene": self.convene,
            "basis": self.basis,
            "share_percent": self.share_percent,
            "teams": self.teams,
            "members": self.members,
            "required": self.required,
        }


def applicable_rule(kind: EmergencyKind, *, intensity: str, headquarters: bool) -> ConveningRule | None:
    for rule in kind.convening:
        if rule.min_intensity is not None and not (intensity and at_least(intensity, rule.min_intensity)):
            continue
        if rule.headquarters and not headquarters:
            continue
        return rule
    return None


def division(policy: PolicyDocument, organization_id: int) -> list[Member]:
    """The members in the order they are picked for a share: the command chain (電算機管理者, 代行者1・2・3)
    first, then the teams taking turns, each in its own order — so that a 40 % turn-out has someone to
    command and every team staffed. (The plan is silent on who the 40 % are; docs/adr/0010.)"""
    plan = policy.bcp
    if plan is None:
        return []
    team_of_role = {t.role: t.key for t in plan.teams}
    rows = Assignment.objects.filter(
        role__organization_id=organization_id,
        role__key__in=set(plan.member_roles) | set(team_of_role),
        role__active=True,
        person__is_active=True,
    ).values_list("role__key", "order", "person_id")
    team_order = [t.key for t in plan.teams]
    team_of: dict[int, str] = {}
    by_team: dict[str, list[tuple[int, int]]] = {key: [] for key in team_order}
    for role_key, order, person_id in rows:
        team = team_of_role.get(role_key)
        if team is not None:
            by_team[team].append((order, person_id))
    for key in team_order:  # a person in two teams belongs to the first of the plan's order
        for _order, person_id in sorted(by_team[key]):
            team_of.setdefault(person_id, key)
    everyone = {person_id for _r, _o, person_id in rows}
    ordered: list[int] = [p for p in chain_for(policy, organization_id, plan.command_role) if p in everyone]
    queues = [[p for _o, p in sorted(by_team[key]) if team_of[p] == key] for key in team_order]
    while any(queues):
        for queue in queues:
            if queue:
                ordered.append(queue.pop(0))
    ordered += sorted(everyone - set(ordered))  # member_roles outside the command chain
    seen: set[int] = set()
    members = []
    for person_id in ordered:
        if person_id not in seen:
            seen.add(person_id)
            members.append(Member(person_id, team_of.get(person_id, "")))
    return members


def decide(
    plan: BcpSpec,
    kind: EmergencyKind,
    members: list[Member],
    *,
    intensity: str,
    headquarters: bool,
    decided: str = "",
    decided_teams: list[str] | None = None,
) -> Decision:
    """Mark who must come in ``members`` and say why. ``decided``/``decided_teams``: the declaring
    person's choice (all / teams / none) where the rule leaves it to them."""
    rule = applicable_rule(kind, intensity=intensity, headquarters=headquarters)
    if rule is None:
        decision = Decision(
            "none", _("No convening rule of the plan applies; everyone is asked whether they are safe.")
        )
    elif rule.convene == "decided":
        choice = decided if decided in ("all", "teams", "none") else "none"
        decision = Decision(
            choice, rule.basis or "", teams=list(decided_teams or []) if choice == "teams" else []
        )
    else:
        decision = Decision(
            rule.convene, rule.basis or "", share_percent=rule.share_percent, teams=list(rule.teams)
        )
    decision.members = len(members)
    if decision.convene == "all":
        chosen = members
    elif decision.convene == "share":
        chosen = members[: math.ceil(len(members) * (decision.share_percent or 0) / 100)]
    elif decision.convene == "teams":
        chosen = [m for m in members if m.team in decision.teams]
    else:
        chosen = []
    for member in chosen:
        member.must_convene = True
    decision.required = len(chosen)
    return decision

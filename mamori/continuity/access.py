"""Who may see and work an emergency. The plan's roles come from the policy's ``bcp`` section:
``declare_roles`` declare and end; the division (``member_roles`` and the teams' roles) works the roll-call
and the recovery checklist; ``view_roles`` read the boards. People of other organisations see nothing."""

from typing import Any

from django.db.models import QuerySet

from mamori.incidents.access import roles_of
from mamori.policy.schema_bcp import BcpSpec
from mamori.policy.services import policy_of_person

from .models import Emergency


def plan_of(user: Any) -> BcpSpec | None:
    policy = policy_of_person(user) if getattr(user, "organization_id", None) else None
    return policy.bcp if policy else None


def division_roles(plan: BcpSpec) -> set[str]:
    return set(plan.member_roles) | {t.role for t in plan.teams}


def may_declare(user: Any) -> bool:
    plan = plan_of(user)
    return bool(plan and roles_of(user) & set(plan.declare_roles))


def may_work(user: Any) -> bool:
    """Update the recovery checklist, record a colleague's answer taken by phone, ask vendors."""
    plan = plan_of(user)
    return bool(plan and roles_of(user) & (division_roles(plan) | set(plan.declare_roles)))


def may_view(user: Any) -> bool:
    plan = plan_of(user)
    return bool(
        plan and roles_of(user) & (division_roles(plan) | set(plan.declare_roles) | set(plan.view_roles))
    )


def visible(user: Any) -> QuerySet[Emergency]:
    if not may_view(user):
        return Emergency.objects.none()
    return Emergency.objects.filter(organization_id=user.organization_id)

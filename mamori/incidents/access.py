"""Who may see and do what. Every object load for a user goes through here (STYLE.md).

What a role may do comes from the active policy's ``permissions`` (each grant with its article);
which roles a person holds comes from ``Assignment`` (holders and deputies alike: a deputy must be
able to act when the holder cannot, komae 第4条第4項, katsushika 5(1)ア).
"""

from typing import Any

from django.db.models import Exists, OuterRef, Q, QuerySet

from mamori.people.models import Assignment
from mamori.policy.services import policy_of_person

from .errors import NotAllowed, NotFound
from .models import Incident, IncidentMember, Task


def roles_of(user: Any) -> frozenset[str]:
    """Role keys the person holds, as holder or deputy (cached on the user object per request)."""
    if not getattr(user, "is_authenticated", False) or not user.organization_id:
        return frozenset()
    cached = getattr(user, "_mamori_roles", None)
    if cached is None:
        cached = frozenset(
            Assignment.objects.filter(
                person=user, role__active=True, role__organization_id=user.organization_id
            ).values_list("role__key", flat=True)
        )
        user._mamori_roles = cached
    return cached


def permissions_of(user: Any) -> frozenset[str]:
    if not getattr(user, "is_authenticated", False) or not user.organization_id:
        return frozenset()
    cached = getattr(user, "_mamori_permissions", None)
    if cached is None:
        policy = policy_of_person(user)
        if policy is None:
            return frozenset()
        held = roles_of(user)
        cached = frozenset(p for p, grant in policy.permissions.items() if held & set(grant.roles))
        user._mamori_permissions = cached
    return cached


def can(user: Any, permission: str) -> bool:
    return permission in permissions_of(user)


def require(user: Any, permission: str, organization_id: int | None = None) -> None:
    if organization_id is not None and getattr(user, "organization_id", None) != organization_id:
        raise NotFound()
    if not can(user, permission):
        raise NotAllowed()


def is_csirt(user: Any) -> bool:
    """Holds a role the policy marks ``csirt: true`` (sees restricted incidents)."""
    held = roles_of(user)
    if not held:
        return False
    policy = policy_of_person(user)
    if policy is None:
        return False
    return bool(held & {r.key for r in policy.roles if r.csirt})


def _named(user: Any, via: str = "") -> Q:
    """Incidents this person was named on: as handler, or added by name (need-to-know)."""
    members = IncidentMember.objects.filter(incident=OuterRef(f"{via}pk"), person=user)
    return Q(**{f"{via}handler": user}) | Q(Exists(members))


def _tasked(user: Any, via: str = "") -> Q:
    """Incidents holding a task for this person, or for a role they hold."""
    tasks = Task.objects.filter(incident=OuterRef(f"{via}pk"))
    return Q(Exists(tasks.filter(Q(assignee=user) | Q(assignee_role__in=roles_of(user)))))


def visible(user: Any, via: str = "") -> Q | None:
    """The condition on an incident for ``user`` to open it (see ``incidents_for``), or None for nobody.

    ``via`` reaches the incident from another model (``"incident__"`` on an outside report): the
    condition then joins the incident instead of listing every visible incident's id, which at a
    prefecture's size is hundreds of thousands of ids (docs/performance.md).
    """
    if not getattr(user, "is_authenticated", False) or not user.organization_id:
        return None
    same_organization = Q(**{f"{via}organization_id": user.organization_id})
    if can(user, "view_all") and is_csirt(user):
        return same_organization
    if can(user, "view_all"):
        return same_organization & (Q(**{f"{via}restricted": False}) | _named(user, via) | _tasked(user, via))
    return same_organization & (_named(user, via) | _tasked(user, via))


def incidents_for(user: Any) -> QuerySet[Incident]:
    """Incidents this person may open: those they see in full, and those holding a task for them.

    Someone reached only through a task (a system administrator asked to check a server) sees the
    task and what it needs, not the rest of the incident (``sees_in_full``).
    """
    condition = visible(user)
    return Incident.objects.none() if condition is None else Incident.objects.filter(condition)


def sees_in_full(user: Any, incident: Incident) -> bool:
    """Whether ``user`` may read all of ``incident`` (reports, evidence, timeline), not only their tasks."""
    if getattr(user, "organization_id", None) != incident.organization_id:
        return False
    if can(user, "view_all") and (is_csirt(user) or not incident.restricted):
        return True
    return (
        incident.handler_id == user.pk
        or IncidentMember.objects.filter(incident=incident, person=user).exists()
    )


def get_incident_for(user: Any, pk: Any) -> Incident:
    """Load one incident for ``user`` or raise ``NotFound`` (never revealing that it exists).

    What the person may then do with it is checked by each service against the policy's permissions.
    """
    try:
        return incidents_for(user).select_related("handler", "policy", "organization").get(pk=int(pk))
    except (Incident.DoesNotExist, ValueError, TypeError):
        raise NotFound() from None

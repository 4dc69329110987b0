"""People added by name to an incident (need-to-know).

A restricted incident (personal data, for example) is visible in full only to the CSIRT roles, its
handler and the people added here; others are not told it exists (access.py). Adding and removing
people is for those who choose the handler (the ``assign`` permission: who works on an incident also
decides who needs to know about it); every change is journaled.
"""

from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from mamori.journal.services import record
from mamori.people.models import Assignment

from . import access
from .editing import lock_incident, policy_of, required_text, save_incident
from .errors import Invalid
from .models import Incident, IncidentMember

# Why someone outside the CSIRT was added: the policy says they must be told of this incident.
TOLD_BY_POLICY = gettext_lazy("to be told by the policy")


def add_member(
    incident: Incident, *, actor: Any, expected_version: int | None, person: Any, reason: str
) -> IncidentMember:
    access.require(actor, "assign", incident.organization_id)
    errors: dict[str, str] = {}
    reason = required_text(reason, "reason", _("The reason"), errors)[:300]
    if person is None or person.organization_id != incident.organization_id or not person.is_active:
        errors["person"] = _("Choose an active person of this organisation.")
    elif IncidentMember.objects.filter(incident=incident, person=person).exists():
        errors["person"] = _("This person was already added.")
    if errors:
        raise Invalid(fields=errors)
    with transaction.atomic():
        incident = lock_incident(incident, expected_version)
        member = _add(incident, person=person, reason=reason, actor=actor)
        save_incident(incident, [])
    return member


def _add(incident: Incident, *, person: Any, reason: str, actor: Any) -> IncidentMember:
    member = IncidentMember.objects.create(
        incident=incident, person=person, reason=reason, added_by=actor, added_at=timezone.now()
    )
    record(
        actor=actor,
        action="incident.member_added",
        obj=incident,
        data={"person": person.username, "reason": reason, "restricted": incident.restricted},
    )
    return member


def remove_member(incident: Incident, *, actor: Any, expected_version: int | None, member_pk: int) -> None:
    access.require(actor, "assign", incident.organization_id)
    with transaction.atomic():
        incident = lock_incident(incident, expected_version)
        member = (
            IncidentMember.objects.filter(incident=incident, pk=member_pk).select_related("person").first()
        )
        if member is None:
            raise Invalid(fields={"member": _("This person is not on the list.")})
        username = member.person.username
        member.delete()
        save_incident(incident, [])
        record(actor=actor, action="incident.member_removed", obj=incident, data={"person": username})


def grant_for_duty(incident: Incident, *, actor: Any, role_key: str, duty: Any) -> list[IncidentMember]:
    """Add the holders and deputies of ``role_key`` who would not otherwise see ``incident`` (a CISO
    outside the CSIRT asked to decide on publication). Runs inside the caller's transaction."""
    role_title = next((r.title for r in policy_of(incident).roles if r.key == role_key), role_key)
    added = []
    for assignment in Assignment.objects.filter(
        role__organization_id=incident.organization_id, role__key=role_key, role__active=True
    ).select_related("person"):
        person = assignment.person
        if access.sees_in_full(person, incident) or not person.is_active:
            continue
        added.append(_add(incident, person=person, reason=f"{duty}（{role_title}）"[:300], actor=actor))
    return added

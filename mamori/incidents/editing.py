"""Helpers every incident service uses: locking with the version check, saving, the policy in force,
and required text fields."""

from django.utils import timezone
from django.utils.translation import gettext as _

from mamori.policy.schema import PolicyDocument
from mamori.policy.services import document_of

from . import search
from .errors import Conflict
from .models import Incident

MAX_TEXT = 20000


def lock_incident(incident: Incident, expected_version: int | None) -> Incident:
    """Re-read the incident under a row lock and check nobody changed it since it was shown."""
    locked = (
        Incident.objects.select_for_update(of=("self",))
        .select_related("organization", "policy")
        .get(pk=incident.pk)
    )
    if expected_version is not None and locked.version != expected_version:
        raise Conflict()
    return locked


def save_incident(incident: Incident, fields: list[str]) -> None:
    incident.version += 1
    incident.updated_at = timezone.now()
    incident.save(update_fields=[*fields, "version", "updated_at"])
    if search.SEARCHED_FIELDS.intersection(fields):
        search.reindex(incident)


def policy_of(incident: Incident) -> PolicyDocument:
    return document_of(incident.policy)


def required_text(value: str | None, field: str, label: str, errors: dict[str, str]) -> str:
    """Strip ``value``; record in ``errors`` if it is empty or longer than MAX_TEXT."""
    value = (value or "").strip()
    if not value:
        errors[field] = _("%(label)s is required.") % {"label": label}
    elif len(value) > MAX_TEXT:
        errors[field] = _("%(label)s is too long.") % {"label": label}
    return value

"""Who sees which advisories: the register's keepers and readers see all of the organisation's;
a system administrator sees those that ask them to check something (STYLE.md: loads go through here)."""

from typing import Any

from django.db.models import Exists, OuterRef, Q, QuerySet

from mamori.assets import access as assets_access
from mamori.incidents.access import roles_of
from mamori.incidents.errors import NotFound

from .models import Advisory, AdvisoryCheck


def advisories_for(user: Any) -> QuerySet[Advisory]:
    if not getattr(user, "is_authenticated", False) or not user.organization_id:
        return Advisory.objects.none()
    advisories = Advisory.objects.filter(organization_id=user.organization_id)
    if assets_access.sees_whole_register(user):
        return advisories
    asked = AdvisoryCheck.objects.filter(advisory=OuterRef("pk")).filter(
        Q(assignee=user) | Q(assignee_role__in=roles_of(user))
    )
    return advisories.filter(Exists(asked))


def get_advisory_for(user: Any, pk: int) -> Advisory:
    advisory = advisories_for(user).filter(pk=pk).select_related("recorded_by").first()
    if advisory is None:
        raise NotFound()
    return advisory

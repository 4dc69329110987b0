from django.conf import settings

from mamori.continuity import access as continuity_access
from mamori.continuity.services import active_emergencies
from mamori.incidents import access
from mamori.paging.models import Page
from mamori.paging.services import banner_escalations


def mamori(request):
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"mamori_permissions": frozenset(), "public_only": settings.PUBLIC_ONLY}
    return {
        "mamori_permissions": access.permissions_of(user),
        # Role holders (system administrators among them) find the registers in the menu; read from
        # the roles permissions_of has just cached, so no query is added to any page.
        "mamori_holds_role": bool(access.roles_of(user)),
        "public_only": settings.PUBLIC_ONLY,
        # A chain nobody acknowledged is shown on every page until someone does.
        "unacknowledged_chains": banner_escalations(user.organization_id),
        "my_open_pages": Page.objects.filter(recipient=user, state="open").count(),
        # An emergency in force, and who commands it, is shown on every page (katsushika 5(1)ア(ウ)).
        "active_emergencies": active_emergencies(user),
        "mamori_sees_bcp": continuity_access.may_view(user),
    }

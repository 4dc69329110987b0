from django.conf import settings

from mamori.incidents import access


def mamori(request):
    user = getattr(request, "user", None)
    perms = access.permissions_of(user) if user is not None else frozenset()
    return {"mamori_permissions": perms, "public_only": settings.PUBLIC_ONLY}

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from mamori.incidents import access

from .models import Assignment, Role


@login_required
@require_GET
def people_list(request: HttpRequest) -> HttpResponse:
    """Who holds which role, holders and deputies in order: the CSIRT's phone tree."""
    if not access.can(request.user, "view_all"):
        raise Http404
    roles = Role.objects.filter(organization_id=request.user.organization_id, active=True).order_by("pk")
    assignments = (
        Assignment.objects.filter(role__in=roles)
        .select_related("person", "person__department", "role")
        .order_by("role_id", "order")
    )
    by_role: dict[int, list[Assignment]] = {}
    for a in assignments:
        by_role.setdefault(a.role_id, []).append(a)
    return render(request, "people/list.html", {"roles": [(r, by_role.get(r.pk, [])) for r in roles]})

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from mamori.http import AuthedRequest

from .models import PolicyVersion
from .services import NoActivePolicy, active_version, document_of


@login_required
@require_GET
def policy_detail(request: AuthedRequest) -> HttpResponse:
    """The rules in force, each with its article, and every version loaded (who, when)."""
    org = request.user.organization
    if org is None:
        raise Http404
    try:
        version = active_version(org)
    except NoActivePolicy:
        raise Http404 from None
    versions = (
        PolicyVersion.objects.filter(organization=org).select_related("loaded_by").defer("text", "document")
    )
    return render(
        request,
        "policy/detail.html",
        {"version": version, "policy": document_of(version), "versions": versions},
    )

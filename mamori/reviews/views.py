"""The reviews page: each document the policy lists with its last approved revision and the next due
date, the history of revisions, and the form to record a review."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from mamori.assets.views import show_errors
from mamori.http import AuthedRequest
from mamori.incidents.access import can
from mamori.incidents.errors import ServiceError
from mamori.policy.services import active_policy

from . import services
from .forms import RevisionForm
from .models import Revision


@login_required
@require_http_methods(["GET", "POST"])
def reviews(request: AuthedRequest) -> HttpResponse:
    user = request.user
    organization = user.organization
    if organization is None:
        raise Http404
    spec = active_policy(organization).reviews
    if spec is None:
        return render(request, "reviews/index.html", {"spec": None})
    recorder = services.may_record(user)
    if not (recorder or can(user, "view_all")):
        raise PermissionDenied
    form = RevisionForm(
        request.POST or None,
        spec=spec,
        organization_id=organization.pk,
        initial={"approved_on": timezone.localdate()},
    )
    if request.method == "POST":
        if not recorder:
            raise PermissionDenied
        if form.is_valid():
            try:
                services.record_revision(organization, actor=user, **form.cleaned_data)
            except ServiceError as exc:
                if exc.status == 403:
                    raise PermissionDenied from None
                show_errors(form, exc)
            else:
                messages.success(request, _("The review was recorded."))
                return redirect("reviews:index")
    today = timezone.localdate()
    rows = services.status(organization)
    for row in rows:
        row.is_overdue = row.overdue(today)  # type: ignore[attr-defined]
    return render(
        request,
        "reviews/index.html",
        {
            "spec": spec,
            "rows": rows,
            "history": list(
                Revision.objects.filter(organization=organization).select_related(
                    "approved_by", "recorded_by"
                )[:200]
            ),
            "may_record": recorder,
            "form": form,
        },
        status=400 if form.is_bound else 200,
    )

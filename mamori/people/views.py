from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from mamori.incidents import access

from .csv_import import ImportFileError, decode, import_people
from .forms import ConfirmImportForm, ImportUploadForm
from .models import Assignment, Organization, Role

SESSION_KEY = "people_import"


def may_import_people(user: Any) -> bool:
    """Importing creates accounts and hands out the roles that paging and need-to-know rest on.

    It needs both kinds of trust: a role the policy grants ``view_all`` (trusted with the whole
    organisation's incidents) and Django staff status (trusted to administer accounts). Either
    alone is not enough. Superusers may always.
    """
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return False
    if user.is_superuser:
        return True
    return bool(user.is_staff and access.can(user, "view_all"))


@login_required
@require_GET
def people_list(request: HttpRequest) -> HttpResponse:
    """Who holds which role, holders and deputies in order: the CSIRT's phone tree."""
    user: Any = request.user
    if not access.can(user, "view_all"):
        raise Http404
    roles = Role.objects.filter(organization_id=user.organization_id, active=True).order_by("pk")
    assignments = (
        Assignment.objects.filter(role__in=roles)
        .select_related("person", "person__department", "role")
        .order_by("role_id", "order")
    )
    by_role: dict[int, list[Assignment]] = {}
    for a in assignments:
        by_role.setdefault(a.role_id, []).append(a)
    return render(
        request,
        "people/list.html",
        {
            "roles": [(r, by_role.get(r.pk, [])) for r in roles],
            "may_import": may_import_people(user),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def people_import(request: HttpRequest) -> HttpResponse:
    """Upload a CSV, see what a dry run finds, then confirm: the import is all-or-nothing."""
    user: Any = request.user
    if not may_import_people(user):
        raise PermissionDenied
    own = user.organization
    form = ImportUploadForm(ask_organization=own is None)
    context: dict[str, Any] = {"organization": own}
    if request.method == "POST" and "sha256" in request.POST:
        return _confirm(request, context)
    if request.method == "POST":
        form = ImportUploadForm(request.POST, request.FILES, ask_organization=own is None)
        if form.is_valid():
            organization = own or form.cleaned_data["organization"]
            try:
                text = decode(form.cleaned_data["file"].read())
                result = import_people(organization, text, actor=request.user, dry_run=True)
            except ImportFileError as e:
                for message in e.messages:
                    form.add_error("file", message)
            else:
                if not result.errors:
                    request.session[SESSION_KEY] = {
                        "sha256": result.sha256,
                        "organization": organization.pk,
                        "text": text,
                    }
                context.update(
                    result=result,
                    organization=organization,
                    confirm=ConfirmImportForm(initial={"sha256": result.sha256}),
                )
    context["form"] = form
    return render(request, "people/import.html", context)


def _confirm(request: HttpRequest, context: dict[str, Any]) -> HttpResponse:
    user: Any = request.user
    confirm = ConfirmImportForm(request.POST)
    pending = request.session.get(SESSION_KEY) or {}
    if not confirm.is_valid() or pending.get("sha256") != confirm.cleaned_data["sha256"]:
        messages.error(request, _("That check is no longer current; upload the file again."))
        return redirect("people:import")
    organization = Organization.objects.get(pk=pending["organization"])
    if user.organization_id not in (None, organization.pk):
        raise PermissionDenied
    try:
        result = import_people(organization, pending["text"], actor=request.user, dry_run=False)
    except ImportFileError as e:
        for message in e.messages:
            messages.error(request, message)
        return redirect("people:import")
    if result.errors:
        # The people changed since the dry run: show what is wrong now; nothing was saved.
        context.update(
            result=result,
            organization=organization,
            form=ImportUploadForm(ask_organization=user.organization_id is None),
        )
        return render(request, "people/import.html", context)
    del request.session[SESSION_KEY]
    messages.success(
        request,
        _(
            "Imported: %(created)s people created, %(updated)s updated, %(assignments)s role assignments added."
        )
        % {
            "created": result.created,
            "updated": result.updated,
            "assignments": result.assignments,
        },
    )
    return redirect("people:list" if user.organization_id else "people:import")

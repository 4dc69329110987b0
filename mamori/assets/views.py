"""Pages of the systems register: the list, one system (with its classification's handling rules and
its history), adding and changing, the software list, and the Excel export and import."""

import base64
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core import signing
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db import transaction
from django.db.models import Count, Q
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods

from mamori.http import AuthedRequest
from mamori.incidents.errors import Invalid, NotAllowed, NotFound, ServiceError
from mamori.incidents.register_sheet import RegisterFileError
from mamori.journal.models import JournalEntry
from mamori.journal.services import record
from mamori.people.fields import role_holder_suggestions
from mamori.people.models import Organization
from mamori.policy.services import active_policy

from . import access
from .asset_import import check_assets, import_assets
from .forms import RegisterUploadForm, SoftwareForm, SystemForm
from .models import InformationSystem
from .services import create_system, set_software, update_system
from .workbook import XLSX_CONTENT_TYPE, write_register
from .workbook_import import check_workbook, import_workbook

PAGE_SIZE = 100
UPLOAD_MAX_BYTES = 2 * 1024 * 1024  # a register of a thousand systems is well under 200 kB
SIGNING_SALT = "mamori.assets.import"
CONFIRM_SECONDS = 3600


def organization_of(request: AuthedRequest) -> Organization:
    organization = request.user.organization
    if organization is None:
        raise Http404
    return organization


def _load(request: AuthedRequest, pk: int, *, write: bool = False) -> InformationSystem:
    try:
        return access.get_system_for(request.user, pk, write=write)
    except NotFound:
        raise Http404 from None
    except NotAllowed:
        raise PermissionDenied from None


def classification_rows(system: Any, policy: Any) -> list[dict[str, Any]]:
    """Each axis of the scheme with the system's (or asset's) level, what it means and how it must be handled."""
    rows = []
    for axis in policy.classification.axes if policy.classification else []:
        level = next((lv for lv in axis.levels if lv.key == system.classification.get(axis.key)), None)
        rows.append({"axis": axis, "level": level})
    return rows


@login_required
@require_GET
def system_list(request: AuthedRequest) -> HttpResponse:
    user = request.user
    policy = active_policy(organization_of(request))
    systems = access.systems_for(user).select_related("owner_department", "administrator")
    query = request.GET.get("q", "").strip()[:100]
    if query:
        systems = systems.filter(
            Q(code__icontains=query) | Q(name__icontains=query) | Q(software__product__icontains=query)
        ).distinct()
    segment = request.GET.get("segment", "")
    if segment:
        systems = systems.filter(segment=segment)
    if request.GET.get("retired") != "1":
        systems = systems.filter(in_use=True)
    page = Paginator(
        systems.annotate(software_count=Count("software")).order_by("code", "pk"), PAGE_SIZE
    ).get_page(request.GET.get("page"))
    segments = {s.key: s.label for s in (policy.asset_register.segments if policy.asset_register else [])}
    axes = policy.classification.axes if policy.classification else []
    for system in page:
        system.segment_label = segments.get(system.segment, system.segment)  # type: ignore[attr-defined]
        system.class_labels = [  # type: ignore[attr-defined]
            next((lv.label for lv in axis.levels if lv.key == system.classification.get(axis.key)), "—")
            for axis in axes
        ]
    return render(
        request,
        "assets/list.html",
        {
            "page": page,
            "axes": axes,
            "segments": segments,
            "query": query,
            "segment": segment,
            "retired": request.GET.get("retired") == "1",
            "may_add": access.may_add_systems(user),
            "whole_register": access.sees_whole_register(user),
        },
    )


@login_required
@require_GET
def system_detail(request: AuthedRequest, pk: int) -> HttpResponse:
    system = _load(request, pk)
    policy = active_policy(system.organization)
    history = JournalEntry.objects.filter(
        object_type="assets.informationsystem", object_id=str(system.pk)
    ).order_by("-seq")[:200]
    return render(
        request,
        "assets/detail.html",
        {
            "system": system,
            "segment": policy.segment(system.segment),
            "classification": classification_rows(system, policy),
            "software": list(system.software.all()),
            "history": history,
            "may_edit": access.may_edit(request.user, system),
        },
    )


def _form_page(request: AuthedRequest, form: SystemForm, system: InformationSystem | None) -> HttpResponse:
    return render(
        request,
        "assets/form.html",
        {
            "form": form,
            "system": system,
            "person_suggestions": role_holder_suggestions(organization_of(request).pk),
        },
        status=400 if form.is_bound else 200,
    )


def show_errors(form: Any, exc: ServiceError) -> None:
    for name, message in exc.fields.items():
        form.add_error(name if name in form.fields else None, message)
    if not exc.fields:
        form.add_error(None, exc.message)


@login_required
@require_http_methods(["GET", "POST"])
def system_create(request: AuthedRequest) -> HttpResponse:
    user = request.user
    if not access.may_add_systems(user):
        raise PermissionDenied
    organization = organization_of(request)
    form = SystemForm(request.POST or None, organization=organization, policy=active_policy(organization))
    if request.method == "POST" and form.is_valid():
        try:
            system = create_system(organization, actor=user, data=form.system_input())
        except ServiceError as exc:
            show_errors(form, exc)
        else:
            messages.success(request, _("The system was added to the register."))
            return redirect("assets:detail", system.pk)
    return _form_page(request, form, None)


@login_required
@require_http_methods(["GET", "POST"])
def system_edit(request: AuthedRequest, pk: int) -> HttpResponse:
    system = _load(request, pk, write=True)
    policy = active_policy(system.organization)
    form = SystemForm(
        request.POST or None,
        initial=SystemForm.initial_of(system),
        organization=system.organization,
        policy=policy,
    )
    if request.method == "POST" and form.is_valid():
        try:
            changed = update_system(
                system,
                actor=request.user,
                data=form.system_input(),
                expected_version=form.cleaned_data["version"],
            )
        except ServiceError as exc:
            show_errors(form, exc)
        else:
            messages.success(request, _("Saved.") if changed else _("Nothing was changed."))
            return redirect("assets:detail", system.pk)
    return _form_page(request, form, system)


@login_required
@require_http_methods(["GET", "POST"])
def system_software(request: AuthedRequest, pk: int) -> HttpResponse:
    system = _load(request, pk, write=True)
    form = SoftwareForm(
        request.POST or None, initial={"lines": SoftwareForm.lines_of(system), "version": system.version}
    )
    if request.method == "POST" and form.is_valid():
        try:
            set_software(
                system, actor=request.user, items=form.items(), expected_version=form.cleaned_data["version"]
            )
        except ServiceError as exc:
            show_errors(form, exc)
        else:
            messages.success(request, _("The software list was saved."))
            return redirect("assets:detail", system.pk)
    return render(
        request,
        "assets/software.html",
        {"form": form, "system": system},
        status=400 if form.is_bound else 200,
    )


@login_required
@require_GET
def register_export(request: AuthedRequest) -> HttpResponse:
    user = request.user
    organization = organization_of(request)
    policy = active_policy(organization)
    systems = access.systems_for(user)
    name = f"情報システム台帳_{organization.name}_{timezone.localdate():%Y%m%d}.xlsx"
    content = write_register(systems, policy)
    with transaction.atomic():
        record(
            actor=user,
            action="systems.exported",
            object_type="assets.register",
            object_label=name,
            organization=organization,
            data={"rows": systems.count(), "file_name": name},
        )
    response = HttpResponse(content, content_type=XLSX_CONTENT_TYPE)
    response["Content-Disposition"] = f"attachment; filename*=UTF-8''{quote(name)}"
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response


@dataclass(frozen=True)
class ImportKind:
    """One register that is imported from Excel: how it is checked and applied, where it goes after."""

    check: Callable[[Any, Path], Any]
    apply: Callable[..., Any]
    url_name: str  # the import page itself
    done_url_name: str  # the register's list
    salt: str  # the confirm payload signed for this register only
    title: Any
    intro: Any


SYSTEMS_IMPORT = ImportKind(
    check_workbook,
    import_workbook,
    "assets:import",
    "assets:list",
    SIGNING_SALT,
    gettext_lazy("Import the register of information systems"),
    gettext_lazy(
        "Upload the register as an Excel workbook (.xlsx), with the columns of the downloaded register. Every row is "
        "checked first and nothing is saved until you confirm; then all rows are saved, or none. Systems are matched "
        "by their register number; systems not in the file are left as they are. If the workbook has the sheet "
        "「ソフトウェア」, it is the whole software list of each system in the file."
    ),
)
ASSETS_IMPORT = ImportKind(
    check_assets,
    import_assets,
    "assets:asset_import",
    "assets:assets",
    SIGNING_SALT + ".assets",
    gettext_lazy("Import the register of information assets"),
    gettext_lazy(
        "Upload the register as an Excel workbook (.xlsx), with the columns of the downloaded register. Every row is "
        "checked first and nothing is saved until you confirm; then all rows are saved, or none. Assets are matched "
        "by their register number; assets not in the file are left as they are."
    ),
)


@login_required
@require_http_methods(["GET", "POST"])
def register_import(request: AuthedRequest) -> HttpResponse:
    return _import(request, SYSTEMS_IMPORT)


@login_required
@require_http_methods(["GET", "POST"])
def asset_import(request: AuthedRequest) -> HttpResponse:
    return _import(request, ASSETS_IMPORT)


def _import(request: AuthedRequest, kind: ImportKind) -> HttpResponse:
    """Upload → the dry run (every row checked, nothing saved) → confirm → all rows or none."""
    if not access.may_add_systems(request.user):
        raise PermissionDenied
    context: dict[str, Any] = {"form": RegisterUploadForm(), "kind": kind}
    if request.method == "POST" and "payload" in request.POST:
        return _confirm(request, kind)
    if request.method == "POST":
        form = RegisterUploadForm(request.POST, request.FILES)
        context["form"] = form
        if form.is_valid():
            upload = form.cleaned_data["file"]
            if upload.size > UPLOAD_MAX_BYTES:
                form.add_error(
                    "file", _("The file is larger than 2 MB; split the register into smaller files.")
                )
            else:
                content = upload.read()
                result, problem = _check(kind, organization_of(request), content)
                if problem:
                    form.add_error("file", problem)
                else:
                    context.update(_result_context(result))
                    if not result.errors:
                        context["payload"] = signing.dumps(
                            {"name": upload.name[:100], "content": base64.b64encode(content).decode()},
                            salt=kind.salt,
                            compress=True,
                        )
    return render(request, "assets/import.html", context, status=400 if context.get("errors") else 200)


def _check(kind: ImportKind, organization: Any, content: bytes) -> tuple[Any, str]:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "register.xlsx"
        path.write_bytes(content)
        try:
            return kind.check(organization, path), ""
        except RegisterFileError as exc:
            return None, exc.message


def _result_context(result: Any) -> dict[str, Any]:
    return {
        "checked": True,
        "errors": result.errors,
        "planned": result.planned,
        "counts": result.counts(),
        "ignored_columns": result.ignored_columns,
    }


def _confirm(request: AuthedRequest, kind: ImportKind) -> HttpResponse:
    organization = organization_of(request)
    try:
        payload = signing.loads(request.POST["payload"], salt=kind.salt, max_age=CONFIRM_SECONDS)
        content = base64.b64decode(payload["content"])
    except (signing.BadSignature, KeyError, ValueError, TypeError):
        messages.error(request, _("The checked file has expired or was altered; upload it again."))
        return redirect(kind.url_name)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / Path(str(payload.get("name") or "register.xlsx")).name
        path.write_bytes(content)
        try:
            result = kind.apply(organization, path, actor=request.user)
        except (Invalid, RegisterFileError):
            # The register changed since the dry run (someone took a number): show the check again.
            result, problem = _check(kind, organization, content)
            context: dict[str, Any] = {"form": RegisterUploadForm(), "kind": kind}
            if problem:
                context["form"].add_error("file", problem)
            else:
                context.update(_result_context(result))
            messages.error(request, _("Nothing was imported: the register changed since the check."))
            return render(request, "assets/import.html", context, status=409)
    messages.success(
        request, _("Imported: %(add)s added, %(change)s changed, %(same)s unchanged.") % result.counts()
    )
    return redirect(kind.done_url_name)

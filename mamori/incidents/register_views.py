"""The incident register in Excel: the export (anyone, of what they may see) and the import of past
incidents (the policy's ``import_register``): upload → columns → dry run → confirm.

Between the steps the uploaded file is kept on the server, never in the browser: under
``DATA_DIR/imports/`` with a random name that only this person's session knows, together with its
SHA-256, the person and the organisation. Every step reads the file again and checks the SHA-256;
the confirmation re-checks every row. The file is removed after the import, on cancel, when another
file is uploaded, and by the next upload of anyone once it is older than ``PENDING_SECONDS``.
"""

import hashlib
import json
import os
import re
import secrets
import tempfile
import time
from pathlib import Path
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import FileResponse, Http404, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from mamori import wareki
from mamori.http import AuthedRequest
from mamori.journal.services import record
from mamori.policy.services import policy_of_person

from . import access
from .errors import Invalid
from .filters import IncidentFilterForm, filter_incidents
from .register_cells import cell_text
from .register_export import (
    COLUMNS,
    XLSX_CONTENT_TYPE,
    PolicyLabels,
    register_file_name,
    register_rows,
    write_register,
)
from .register_forms import ColumnMappingForm, ConfirmImportForm, RegisterUploadForm, SheetForm
from .register_import import CheckResult, RegisterRow, RegisterRowsInvalid, check_sheet, import_incidents
from .register_sheet import ALIASES, MAX_HEADER_ROW, RegisterFileError, Sheet, guess_mapping, read_sheet

PENDING_KEY = "register_import"
PENDING_SECONDS = 3600
PREVIEW_ROWS = 200
TOKEN_RE = re.compile(r"^[0-9a-f]{32}$")


# --- export -----------------------------------------------------------------------------------------


@login_required
@require_GET
def register_export(request: AuthedRequest) -> HttpResponseBase:
    """The incidents of the list, with the list's filters, as the register workbook."""
    user = request.user
    if not user.organization_id:
        raise Http404
    visible = access.incidents_for(user)
    # Filters are checked as the list checks them (handlers and years among the visible incidents);
    # without filters the form is not needed at all.
    form = IncidentFilterForm(
        request.GET or None,
        policy=policy_of_person(user),
        organization_id=user.organization_id if request.GET else None,
        date_style=user.date_style,
    )
    if form.is_bound and not form.is_valid():
        # The list shows what is wrong with the filters; never export more than was asked for.
        return redirect(f"{reverse('incidents:list')}?{request.GET.urlencode()}")
    data = form.cleaned_data if form.is_bound else {}
    year = wareki.fiscal_year_label(data["fiscal_year"], user.date_style) if data.get("fiscal_year") else ""
    name = register_file_name(user.organization.name if user.organization else "", year, timezone.localdate())
    # Closed by the response once sent; a TemporaryFile has no name on the disk, so nothing is left.
    handle = tempfile.TemporaryFile(suffix=".xlsx")  # noqa: SIM115
    try:
        count = write_register(
            register_rows(filter_incidents(visible, data)),
            handle,
            labels=PolicyLabels(user.organization_id),
            date_style=user.date_style,
        )
        with transaction.atomic():
            record(
                actor=user,
                action="register.exported",
                object_type="incidents.register",
                object_id=str(user.organization_id),
                object_label=name,
                organization=user.organization,
                data={
                    "filters": {k: v for k, v in data.items() if v not in (None, "")},
                    "rows": count,
                    "file_name": name,
                },
            )
        handle.seek(0)
    except BaseException:
        handle.close()
        raise
    response = FileResponse(handle, as_attachment=True, filename=name, content_type=XLSX_CONTENT_TYPE)
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response


# --- the uploaded file between the steps ----------------------------------------------------------


def _imports_dir() -> Path:
    return Path(settings.DATA_DIR) / "imports"


def _path(token: str) -> Path:
    return _imports_dir() / f"{token}.xlsx"


def _sweep() -> None:
    """Remove files of imports abandoned longer ago than PENDING_SECONDS (any person's)."""
    limit = time.time() - PENDING_SECONDS
    for path in _imports_dir().glob("*.xlsx"):
        try:
            if path.stat().st_mtime < limit:
                path.unlink()
        except FileNotFoundError:
            continue


def _discard(request: AuthedRequest) -> None:
    pending = request.session.pop(PENDING_KEY, None) or {}
    token = pending.get("token", "")
    if isinstance(token, str) and TOKEN_RE.match(token):
        _path(token).unlink(missing_ok=True)


def _store(request: AuthedRequest, upload: Any) -> dict[str, Any]:
    _discard(request)
    folder = _imports_dir()
    folder.mkdir(parents=True, exist_ok=True)
    _sweep()
    token = secrets.token_hex(16)
    digest = hashlib.sha256()
    fd = os.open(_path(token), os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as out:
        for chunk in upload.chunks():
            digest.update(chunk)
            out.write(chunk)
    pending = {
        "token": token,
        "sha256": digest.hexdigest(),
        "name": os.path.basename(upload.name or "")[:200],
        "person": request.user.pk,
        "organization": request.user.organization_id,
        "at": time.time(),
        "sheet": None,
        "header_row": None,
        "mapping": None,
    }
    request.session[PENDING_KEY] = pending
    return pending


def _pending(request: AuthedRequest) -> tuple[dict[str, Any], Path] | None:
    """The person's import in progress, if its file is still there, unchanged and not too old."""
    pending = request.session.get(PENDING_KEY)
    if not isinstance(pending, dict):
        return None
    token = pending.get("token")
    if (
        not isinstance(token, str)
        or not TOKEN_RE.match(token)
        or pending.get("person") != request.user.pk
        or pending.get("organization") != request.user.organization_id
        or time.time() - float(pending.get("at") or 0) > PENDING_SECONDS
    ):
        _discard(request)
        return None
    path = _path(token)
    try:
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
    except FileNotFoundError:
        digest = ""
    if digest != pending.get("sha256"):
        _discard(request)
        return None
    return pending, path


def _digest(pending: dict[str, Any]) -> str:
    """Names exactly what was checked: the file, the sheet, the header row and the mapping."""
    chosen = json.dumps(
        [pending["sha256"], pending["sheet"], pending["header_row"], pending["mapping"]], sort_keys=True
    )
    return hashlib.sha256(chosen.encode("utf-8")).hexdigest()


def _require_import(request: AuthedRequest) -> None:
    if not request.user.organization_id or not access.can(request.user, "import_register"):
        raise PermissionDenied


def _start_again(request: AuthedRequest) -> HttpResponse:
    messages.error(request, _("The uploaded file is no longer available; please upload it again."))
    return redirect("incidents:register_import")


# --- import: upload -------------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def register_import(request: AuthedRequest) -> HttpResponse:
    """Step 1: upload the workbook. Nothing is imported before the dry run has been confirmed."""
    _require_import(request)
    form = RegisterUploadForm()
    status = 200
    if request.method == "POST":
        form = RegisterUploadForm(request.POST, request.FILES)
        if form.is_valid():
            pending = _store(request, form.cleaned_data["file"])
            try:
                read_sheet(_path(pending["token"]))
            except RegisterFileError as e:
                _discard(request)
                form.add_error("file", e.message)
            else:
                return redirect("incidents:register_import_columns")
        status = 400
    found = _pending(request)
    fields = [(c, ALIASES.get(c.key, ())) for c in COLUMNS if c.importable]
    return render(
        request,
        "incidents/register_import.html",
        {"form": form, "pending": found[0] if found else None, "fields": fields},
        status=status,
    )


@login_required
@require_POST
def register_import_cancel(request: AuthedRequest) -> HttpResponse:
    _require_import(request)
    _discard(request)
    messages.success(request, _("The import was cancelled and the uploaded file removed."))
    return redirect("incidents:register_import")


# --- import: columns ------------------------------------------------------------------------------


def _sheet_choice(request: AuthedRequest, pending: dict[str, Any]) -> tuple[str | None, int | None]:
    source = request.POST if request.method == "POST" else request.GET
    sheet = source.get("sheet") or pending.get("sheet")
    try:
        header_row: int | None = int(source.get("header_row") or pending.get("header_row") or 0) or None
    except ValueError:
        header_row = None
    if header_row is not None and not 1 <= header_row <= MAX_HEADER_ROW:
        header_row = None
    return sheet, header_row


@login_required
@require_http_methods(["GET", "POST"])
def register_import_columns(request: AuthedRequest) -> HttpResponse:
    """Step 2: which sheet and header row, and which column fills which field."""
    _require_import(request)
    found = _pending(request)
    if found is None:
        return _start_again(request)
    pending, path = found
    sheet_name, header_row = _sheet_choice(request, pending)
    try:
        sheet = read_sheet(path, sheet=sheet_name, header_row=header_row)
    except RegisterFileError as e:
        _discard(request)
        messages.error(request, e.message)
        return redirect("incidents:register_import")
    status = 200
    if request.method == "POST":
        form = ColumnMappingForm(request.POST, sheet=sheet)
        if form.is_valid():
            pending.update(sheet=sheet.name, header_row=sheet.header_row, mapping=form.mapping())
            request.session[PENDING_KEY] = pending
            return redirect("incidents:register_import_check")
        status = 400
    else:
        same = pending.get("mapping") and (pending["sheet"], pending["header_row"]) == (
            sheet.name,
            sheet.header_row,
        )
        mapping = pending["mapping"] if same else guess_mapping(sheet.headers)
        form = ColumnMappingForm(
            initial={
                "sheet": sheet.name,
                "header_row": sheet.header_row,
                **{f"field_{k}": v for k, v in mapping.items()},
            },
            sheet=sheet,
        )
    return render(
        request,
        "incidents/register_import_columns.html",
        {
            "pending": pending,
            "sheet": sheet,
            "sheet_form": SheetForm(sheet=sheet),
            "form": form,
            "sample": [
                (number, [cell_text(sheet.cell(cells, letter)) for letter, _text in sheet.headers])
                for number, cells in sheet.rows[:3]
            ],
        },
        status=status,
    )


# --- import: dry run and confirmation ---------------------------------------------------------------


def _check(pending: dict[str, Any], path: Path, organization: Any) -> tuple[Sheet, CheckResult]:
    sheet = read_sheet(path, sheet=pending["sheet"], header_row=pending["header_row"])
    return sheet, check_sheet(organization, sheet, pending["mapping"])


def _preview(rows: list[RegisterRow], user: Any) -> list[dict[str, Any]]:
    policy = policy_of_person(user)
    categories = {c.key: c.label for c in policy.categories} if policy else {}
    levels = {lv.value: lv.label for lv in policy.levels} if policy else {}
    return [
        {
            "row": r.row,
            "reference": r.reference,
            "new_reference": r.new_reference,
            "fiscal_year": r.fiscal_year,
            "title": r.title,
            "state_label": r.state_label(),
            "category_label": categories.get(r.category, r.category),
            "level_label": levels.get(r.level, "") if r.level is not None else "",
            "opened_at": r.opened_at,
            "closed_at": r.closed_at,
            "handler": r.handler,
        }
        for r in rows
    ]


@login_required
@require_http_methods(["GET", "POST"])
def register_import_check(request: AuthedRequest) -> HttpResponse:
    """Step 3: the dry run (GET), and the import once the person confirms it (POST)."""
    _require_import(request)
    found = _pending(request)
    if found is None:
        return _start_again(request)
    pending, path = found
    if not pending.get("mapping"):
        return redirect("incidents:register_import_columns")
    organization = request.user.organization
    try:
        sheet, result = _check(pending, path, organization)
    except RegisterFileError as e:
        _discard(request)
        messages.error(request, e.message)
        return redirect("incidents:register_import")
    status = 200
    if request.method == "POST":
        confirm = ConfirmImportForm(request.POST)
        if not confirm.is_valid() or confirm.cleaned_data["digest"] != _digest(pending):
            messages.error(request, _("That check is no longer current; look at the result again."))
            return redirect("incidents:register_import_check")
        if result.ok:
            try:
                created = import_incidents(
                    organization,  # type: ignore[arg-type]
                    actor=request.user,
                    rows=result.rows,
                    file_name=pending["name"],
                    sha256=pending["sha256"],
                )
            except RegisterRowsInvalid as e:
                result.errors = e.errors
            except Invalid as e:
                messages.error(request, str(e.message))
                return redirect("incidents:register_import_check")
            else:
                _discard(request)
                messages.success(
                    request,
                    _("%(count)s past incidents were imported into the register.") % {"count": len(created)},
                )
                return redirect("incidents:list")
        # The rows changed meaning since the dry run (someone took a reference): nothing was saved.
        status = 409
    return render(
        request,
        "incidents/register_import_check.html",
        {
            "pending": pending,
            "sheet": sheet,
            "result": result,
            "preview": _preview(result.rows[:PREVIEW_ROWS], request.user),
            "preview_limit": PREVIEW_ROWS,
            "confirm": ConfirmImportForm(initial={"digest": _digest(pending)}) if result.ok else None,
            "date_style": request.user.date_style,
        },
        status=status,
    )

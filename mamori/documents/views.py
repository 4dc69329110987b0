"""Documents of an incident (Word, PDF), the outside-body texts page, and the organisation's templates.

Documents are for those who see the incident in full (``access.sees_in_full``): a person reached only
through a task gets none. Each document produced is journaled (``document.generated``).
"""

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from mamori.http import AuthedRequest
from mamori.incidents import access, outside
from mamori.incidents.errors import NotFound, ServiceError
from mamori.incidents.models import Incident

from . import render as docx
from . import services
from .context import incident_context
from .forms import OutsideTextsForm, TemplateUploadForm
from .outside_texts import as_text, outside_forms
from .pdf import FontMissing, final_report_pdf

PDF_CONTENT_TYPE = "application/pdf"
INCIDENT_KINDS = ("final_report", "first_report", "closure", "press_release", "outside_texts")


def _incident(request: AuthedRequest, pk: int) -> Incident:
    try:
        incident = access.get_incident_for(request.user, pk)
    except NotFound:
        raise Http404 from None
    if not access.sees_in_full(request.user, incident):
        raise Http404
    return incident


def attachment(data: bytes, *, file_name: str, content_type: str) -> HttpResponse:
    response = HttpResponse(data, content_type=content_type)
    response["Content-Disposition"] = content_disposition_header(as_attachment=True, filename=file_name) or ""
    response["Cache-Control"] = "private, no-store"
    response["X-Content-Type-Options"] = "nosniff"
    return response


def template_error(request: AuthedRequest, error: str) -> HttpResponse:
    """An organisation's template that no longer fills (e.g. made for an older Mamori): say which
    placeholder, and who can fix it, instead of failing."""
    return render(request, "documents/template_error.html", {"error": error}, status=409)


@login_required
@require_GET
def incident_document(request: AuthedRequest, pk: int, kind: str) -> HttpResponse:
    if kind not in INCIDENT_KINDS:
        raise Http404
    incident = _incident(request, pk)
    context = incident_context(incident, style=request.user.date_style, user=request.user)
    try:
        data = docx.render_docx(incident.organization_id, kind, context)
    except docx.TemplateInvalid as exc:
        return template_error(request, exc.message)
    services.note_generated(
        actor=request.user,
        kind=kind,
        obj=incident,
        organization=incident.organization,
        data={"incident": incident.reference, "format": "docx"},
    )
    name = f"{incident.reference}_{docx.KINDS[kind].file_name}.docx"
    return attachment(data, file_name=name, content_type=docx.DOCX_CONTENT_TYPE)


@login_required
@require_GET
def final_report_as_pdf(request: AuthedRequest, pk: int) -> HttpResponse:
    incident = _incident(request, pk)
    context = incident_context(incident, style=request.user.date_style, user=request.user)
    try:
        data = final_report_pdf(context)
    except FontMissing as exc:
        return render(request, "documents/font_missing.html", {"path": str(exc)}, status=503)
    services.note_generated(
        actor=request.user,
        kind="final_report",
        obj=incident,
        organization=incident.organization,
        data={"incident": incident.reference, "format": "pdf"},
    )
    name = f"{incident.reference}_{docx.KINDS['final_report'].file_name}.pdf"
    return attachment(data, file_name=name, content_type=PDF_CONTENT_TYPE)


@login_required
@require_http_methods(["GET", "POST"])
def outside_texts_page(request: AuthedRequest, pk: int) -> HttpResponse:
    incident = _incident(request, pk)
    may_edit = incident.is_open and access.can(request.user, "respond")
    form = OutsideTextsForm(initial={"version": incident.version, **(incident.report_facts or {})})
    status = 200
    if request.method == "POST":
        if not may_edit:
            raise Http404
        form = OutsideTextsForm(request.POST)
        if form.is_valid():
            try:
                outside.set_report_facts(
                    incident,
                    actor=request.user,
                    expected_version=form.cleaned_data["version"],
                    aware_at=None,
                    facts=form.facts(),
                )
            except ServiceError as exc:
                form.add_service_error(exc)
                status = exc.status
            else:
                messages.success(request, _("The facts for outside reports were saved."))
                return redirect("documents:outside_texts", pk=incident.pk)
        else:
            status = 400
    forms_ = outside_forms(incident, style=request.user.date_style)
    texts = [(f, as_text(f, incident)) for f in forms_]
    return render(
        request,
        "documents/outside_texts.html",
        {"incident": incident, "texts": texts, "form": form, "may_edit": may_edit},
        status=status,
    )


# --- the organisation's own templates -----------------------------------------------------------


def _admin(request: AuthedRequest) -> Any:
    """Templates are managed by the organisation's Mamori administrators; others do not see the page."""
    user = request.user
    if not (user.is_staff and user.organization_id):
        raise Http404
    return user.organization


@login_required
@require_GET
def template_list(request: AuthedRequest) -> HttpResponse:
    organization = _admin(request)
    rows = [(kind, docx.active_template(organization.pk, kind.key)) for kind in docx.KINDS.values()]
    return render(
        request, "documents/templates.html", {"rows": rows, "form": TemplateUploadForm(), "error_kind": None}
    )


@login_required
@require_GET
def template_file(request: AuthedRequest, kind: str, which: str) -> HttpResponse:
    organization = _admin(request)
    if kind not in docx.KINDS or which not in ("default", "current"):
        raise Http404
    data = docx.default_template(kind) if which == "default" else docx.template_bytes(organization.pk, kind)
    name = f"{docx.KINDS[kind].file_name}_{_('template')}.docx"
    return attachment(data, file_name=name, content_type=docx.DOCX_CONTENT_TYPE)


@login_required
@require_POST
def template_upload(request: AuthedRequest, kind: str) -> HttpResponse:
    organization = _admin(request)
    if kind not in docx.KINDS:
        raise Http404
    form = TemplateUploadForm(request.POST, request.FILES)
    if form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            services.replace_template(
                organization, kind, actor=request.user, name=upload.name, data=upload.read()
            )
        except docx.TemplateInvalid as exc:
            form.add_error("file", exc.message)
        else:
            messages.success(request, _("The template was replaced."))
            return redirect("documents:templates")
    rows = [(k, docx.active_template(organization.pk, k.key)) for k in docx.KINDS.values()]
    return render(
        request,
        "documents/templates.html",
        {"rows": rows, "form": form, "error_kind": kind},
        status=400,
    )


@login_required
@require_POST
def template_revert(request: AuthedRequest, kind: str) -> HttpResponse:
    organization = _admin(request)
    if kind not in docx.KINDS:
        raise Http404
    services.revert_template(organization, kind, actor=request.user)
    messages.success(request, _("Mamori's own template is used again."))
    return redirect("documents:templates")

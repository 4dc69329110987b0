"""Downloading evidence and report attachments: only through these views, which check access and
journal each download (tatebayashi 6.1(6), edogawa 基準第16条第2項). Files are never served from a
public media URL, and always as an attachment so that an uploaded HTML file cannot run in the browser."""

from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.http import FileResponse, Http404
from django.http.response import HttpResponseBase
from django.views.decorators.http import require_GET

from mamori.http import AuthedRequest
from mamori.intake.models import Attachment
from mamori.journal.services import record

from . import access
from .models import Evidence
from .views import _load


def _may_download(request: AuthedRequest, incident) -> bool:
    """Evidence and report attachments are for those who see the incident in full and work on it."""
    user = request.user
    return access.sees_in_full(user, incident) and (
        access.can(user, "respond") or access.can(user, "view_all")
    )


def _send(request: AuthedRequest, obj, *, action: str, name: str, incident) -> HttpResponseBase:
    if not obj.file:
        raise Http404
    try:
        handle = obj.file.open("rb")
    except FileNotFoundError:
        raise Http404 from None
    with transaction.atomic():
        record(
            actor=request.user,
            action=action,
            obj=obj,
            organization=incident.organization,
            data={"incident": incident.reference, "file_name": name, "sha256": obj.sha256},
        )
    response = FileResponse(
        handle, as_attachment=True, filename=name or obj.sha256, content_type="application/octet-stream"
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response


@login_required
@require_GET
def evidence_file(request: AuthedRequest, pk: int, evidence_pk: int) -> HttpResponseBase:
    incident = _load(request, pk)
    evidence = Evidence.objects.filter(incident=incident, pk=evidence_pk).first()
    if evidence is None or not _may_download(request, incident):
        raise Http404
    return _send(
        request, evidence, action="evidence.downloaded", name=evidence.original_name, incident=incident
    )


@login_required
@require_GET
def attachment_file(request: AuthedRequest, pk: int, attachment_pk: int) -> HttpResponseBase:
    incident = _load(request, pk)
    attachment = Attachment.objects.filter(report__incident=incident, pk=attachment_pk).first()
    if attachment is None or not _may_download(request, incident):
        raise Http404
    return _send(
        request, attachment, action="attachment.downloaded", name=attachment.original_name, incident=incident
    )

"""Changes of state in the documents app, each journaled in its transaction: an organisation's template
replaced or withdrawn, and each document produced (who took what about which incident, and when)."""

import hashlib
from typing import Any

from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone

from mamori.incidents.errors import NotAllowed
from mamori.journal.services import record

from .models import DocumentTemplate
from .render import KINDS, TemplateInvalid, check_template


def _require_admin(actor: Any, organization_id: int) -> None:
    """Templates are the organisation's letterhead: its Mamori administrators manage them."""
    if not (actor.is_staff and actor.organization_id == organization_id):
        raise NotAllowed()


def replace_template(organization: Any, kind: str, *, actor: Any, name: str, data: bytes) -> DocumentTemplate:
    _require_admin(actor, organization.pk)
    if kind not in KINDS:
        raise TemplateInvalid("unknown kind")
    check_template(kind, data)
    digest = hashlib.sha256(data).hexdigest()
    with transaction.atomic():
        DocumentTemplate.objects.filter(organization=organization, kind=kind, active=True).update(
            active=False
        )
        template = DocumentTemplate(
            organization=organization,
            kind=kind,
            original_name=name[:255],
            sha256=digest,
            uploaded_by=actor,
            uploaded_at=timezone.now(),
        )
        template.file.save(f"{kind}.docx", ContentFile(data), save=False)
        template.save()
        record(
            actor=actor,
            action="document_template.replaced",
            obj=template,
            organization=organization,
            data={"kind": kind, "file_name": template.original_name, "sha256": digest},
        )
    return template


def revert_template(organization: Any, kind: str, *, actor: Any) -> None:
    """Go back to Mamori's own template; the uploaded ones stay on record."""
    _require_admin(actor, organization.pk)
    with transaction.atomic():
        template = (
            DocumentTemplate.objects.select_for_update()
            .filter(organization=organization, kind=kind, active=True)
            .first()
        )
        if template is None:
            return
        template.active = False
        template.save(update_fields=["active"])
        record(
            actor=actor,
            action="document_template.reverted",
            obj=template,
            organization=organization,
            data={"kind": kind},
        )


def note_generated(*, actor: Any, kind: str, obj: Any, organization: Any, data: dict[str, Any]) -> None:
    """Journal that a document left the system (edogawa 基準第16条第2項: who took which information out)."""
    with transaction.atomic():
        record(
            actor=actor,
            action="document.generated",
            obj=obj,
            organization=organization,
            data={"kind": kind, **data},
        )

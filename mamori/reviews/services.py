"""Recording reviews and their approval, the status of each document, and reminders before a review is
due. Each change journals in its transaction (STYLE.md); the documents and roles come from the policy."""

import logging
from dataclasses import dataclass
from datetime import date
from typing import Any

from django.core.mail import EmailMessage
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from mamori.incidents.access import roles_of
from mamori.incidents.errors import Invalid, NotAllowed, WrongState
from mamori.journal.services import record
from mamori.people.models import Assignment, Organization
from mamori.policy.schema_registers import ReviewedDocument, ReviewSpec
from mamori.policy.services import active_policy
from mamori.wareki import add_months

from .models import ReviewReminder, Revision

log = logging.getLogger("mamori.reviews")


def spec_of(organization: Any) -> ReviewSpec:
    spec = active_policy(organization).reviews
    if spec is None:
        raise WrongState(_("The policy does not list documents to review."))
    return spec


def _document(spec: ReviewSpec, key: str) -> ReviewedDocument:
    document = next((d for d in spec.documents if d.key == key), None)
    if document is None:
        raise Invalid(fields={"document": _("Choose a document the policy lists.")})
    return document


def _holds_any(person: Any, roles: list[str]) -> bool:
    return bool(roles_of(person) & set(roles))


def may_record(user: Any) -> bool:
    spec = active_policy(user.organization).reviews if user.organization_id else None
    if spec is None:
        return False
    held = roles_of(user)
    return any(held & {*d.keeper_roles, *d.approve_roles} for d in spec.documents)


def record_revision(
    organization: Any,
    *,
    actor: Any,
    document_key: str,
    label: str,
    summary: str,
    approved_on: date,
    approved_by: Any,
    reference: str = "",
) -> Revision:
    """katsushika 6(3): the revision approved by the role the policy names, recorded with its date."""
    spec = spec_of(organization)
    document = _document(spec, document_key)
    if actor.organization_id != organization.pk or not _holds_any(
        actor, [*document.keeper_roles, *document.approve_roles]
    ):
        raise NotAllowed()
    errors: dict[str, str] = {}
    if not label.strip() or not summary.strip():
        errors["summary"] = _("Give the revision and what changed (or that nothing changed).")
    if approved_by.organization_id != organization.pk or not _holds_any(approved_by, document.approve_roles):
        errors["approved_by"] = _("%(person)s does not hold a role that approves this document.") % {
            "person": approved_by
        }
    if approved_on > timezone.localdate():
        errors["approved_on"] = _("The approval cannot be in the future.")
    if errors:
        raise Invalid(fields=errors)
    with transaction.atomic():
        revision = Revision.objects.create(
            organization=organization,
            document_key=document.key,
            document_title=document.title,
            label=label.strip()[:100],
            summary=summary.strip(),
            approved_on=approved_on,
            approved_by=approved_by,
            approval_reference=reference.strip()[:200],
            next_due_on=add_months(approved_on, document.cycle_months),
            recorded_by=actor,
            recorded_at=timezone.now(),
        )
        record(
            actor=actor,
            action="review.recorded",
            obj=revision,
            data={
                "document": document.key,
                "label": revision.label,
                "approved_on": approved_on,
                "approved_by": str(approved_by),
                "next_due_on": revision.next_due_on,
            },
        )
    return revision


@dataclass
class DocumentStatus:
    document: ReviewedDocument
    last: Revision | None
    due_on: date | None  # None: never reviewed in Mamori, due now

    def overdue(self, today: date) -> bool:
        return self.due_on is None or self.due_on < today


def status(organization: Organization) -> list[DocumentStatus]:
    spec = active_policy(organization).reviews
    if spec is None:
        return []
    rows = []
    for document in spec.documents:
        last = (
            Revision.objects.filter(organization=organization, document_key=document.key)
            .select_related("approved_by")
            .first()
        )
        rows.append(DocumentStatus(document, last, last.next_due_on if last else None))
    return rows


def remind_due_reviews(*, today: date | None = None) -> int:
    """Mail the keepers of a document when its review is due in one of the policy's day counts (the worker
    runs this hourly; each reminder goes once). Returns reminders sent."""
    from mamori.paging.transports import smtp_connection

    today = today or timezone.localdate()
    sent = 0
    for organization in Organization.objects.all():
        spec = active_policy(organization).reviews
        if spec is None:
            continue
        for row in status(organization):
            if row.due_on is None:
                continue
            days = (row.due_on - today).days
            due = [d for d in spec.remind_days_before if days <= d]
            if not due or days < -1:
                continue
            wanted = min(due)
            if ReviewReminder.objects.filter(
                organization=organization,
                document_key=row.document.key,
                due_on=row.due_on,
                days_before=wanted,
            ).exists():
                continue
            people = Assignment.objects.filter(
                role__organization=organization, role__key__in=row.document.keeper_roles, role__active=True
            ).select_related("person")
            addresses = sorted({a.person.email for a in people if a.person.email})
            subject = _("Review of %(document)s due on %(date)s") % {
                "document": row.document.title,
                "date": row.due_on,
            }
            body = _(
                "%(document)s must be reviewed by %(date)s (at least every %(months)s months). Record the review and its approval in Mamori."
            ) % {
                "document": row.document.title,
                "date": row.due_on,
                "months": row.document.cycle_months,
            }
            try:
                if addresses:
                    EmailMessage(subject, body, None, addresses, connection=smtp_connection()).send()
            except Exception:
                log.exception("review reminder for %s not sent", row.document.key)
                continue
            with transaction.atomic():
                ReviewReminder.objects.create(
                    organization=organization,
                    document_key=row.document.key,
                    due_on=row.due_on,
                    days_before=wanted,
                    sent_at=timezone.now(),
                )
                record(
                    actor="system",
                    action="review.reminded",
                    object_type="reviews.document",
                    object_id=row.document.key,
                    object_label=row.document.title,
                    organization=organization,
                    data={"due_on": row.due_on, "days_left": days, "to": addresses},
                )
            sent += 1
    return sent

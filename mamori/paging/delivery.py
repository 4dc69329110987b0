"""Sending pages: the worker claims due deliveries and hands each to its channel's transport.

Each attempt is kept (``DeliveryAttempt``) with its outcome. A transient failure retries with
backoff; a permanent one gives up on that channel, and when every channel of a page has failed the
chain moves on at once instead of waiting for the deadline. The escalation never waits for a
channel: deadlines run whether or not mail got through.
"""

from collections.abc import Callable
from datetime import datetime, timedelta

from django.conf import settings
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from mamori import wareki
from mamori.policy.services import document_of

from .choices import DeliveryState, EscalationState, PageState
from .claims import claim
from .models import Delivery, DeliveryAttempt, Outbox, Page
from .services import move_on_after_permanent_failure
from .tokens import page_token
from .transports import TRANSPORTS, Message, TransportError


def backoff(attempts: int) -> timedelta:
    """30 s, 1, 2, 4, 8 … minutes, at most 30 minutes."""
    return timedelta(seconds=min(30 * 2 ** max(attempts - 1, 0), 1800))


def compose(page: Page) -> Message:
    """The message in the recipient's language, with the one-time acknowledgement link."""
    escalation = page.escalation
    if escalation.emergency_id:
        return _compose_for_emergency(page)
    incident = escalation.subject
    policy = document_of(incident.policy)
    level = policy.level(incident.level)
    role = policy.role(escalation.role_key)
    ack_url = settings.MAMORI_LINK_BASE_URL + reverse("paging:ack", args=[page_token(page.token_salt)])
    with translation.override(page.recipient.language or "ja"):
        drill = _("[DRILL] ") if incident.is_drill else ""
        subject = _("%(drill)s[Mamori] %(ref)s %(level)s: please acknowledge") % {
            "drill": drill,
            "ref": incident.reference,
            "level": level.label if level else _("not yet triaged"),
        }
        lines = [
            escalation.text,
            _("Basis: %(basis)s") % {"basis": escalation.basis or "-"},
            "",
            _("Incident: %(ref)s %(title)s") % {"ref": incident.reference, "title": incident.title},
            _("You are paged as: %(role)s") % {"role": role.title if role else escalation.role_key},
        ]
        if page.acting_for_id:
            lines.append(
                _("You are paged as deputy of %(holder)s, who did not answer.") % {"holder": page.acting_for}
            )
        if page.is_fallback:
            lines.append(_("Nobody in the chain acknowledged in time. You are paged as the last resort."))
        lines += [
            _("Acknowledge by %(deadline)s; after that the next person is paged.")
            % {"deadline": wareki.format_datetime(page.deadline, page.recipient.date_style)},
            "",
            _("Acknowledge (works once, from a phone too): %(url)s") % {"url": ack_url},
            _("The incident: %(url)s")
            % {"url": settings.MAMORI_BASE_URL + reverse("incidents:detail", args=[incident.pk])},
        ]
    payload = {
        "incident": incident.reference,
        "level": incident.level,
        "role": escalation.role_key,
        "recipient": page.recipient.username,
        "deadline": page.deadline.isoformat(),
        "ack_url": ack_url,
        "drill": incident.is_drill,
    }
    return Message(subject=subject, body="\n".join(lines), ack_url=ack_url, payload=payload)


def _compose_for_emergency(page: Page) -> Message:
    """A page of an emergency's command chain (katsushika 5(1)ア(ウ)): take command, or say you cannot."""
    escalation = page.escalation
    emergency = escalation.subject
    role = document_of(emergency.policy).role(escalation.role_key)
    ack_url = settings.MAMORI_LINK_BASE_URL + reverse("paging:ack", args=[page_token(page.token_salt)])
    with translation.override(page.recipient.language or "ja"):
        drill = _("[DRILL] ") if emergency.is_drill else ""
        subject = _("%(drill)s[Mamori] Emergency %(emergency)s: please acknowledge") % {
            "drill": drill,
            "emergency": emergency,
        }
        lines = [
            escalation.text,
            _("Basis: %(basis)s") % {"basis": escalation.basis or "-"},
            "",
            _("You are paged as: %(role)s") % {"role": role.title if role else escalation.role_key},
        ]
        if page.acting_for_id:
            lines.append(
                _("You are paged as deputy of %(holder)s, who did not answer.") % {"holder": page.acting_for}
            )
        lines += [
            _("Acknowledge by %(deadline)s; after that the next person is paged.")
            % {"deadline": wareki.format_datetime(page.deadline, page.recipient.date_style)},
            "",
            _("Acknowledge (works once, from a phone too): %(url)s") % {"url": ack_url},
        ]
    payload = {
        "emergency": emergency.reference,
        "role": escalation.role_key,
        "recipient": page.recipient.username,
        "deadline": page.deadline.isoformat(),
        "ack_url": ack_url,
        "drill": emergency.is_drill,
    }
    return Message(subject=subject, body="\n".join(lines), ack_url=ack_url, payload=payload)


# Deliveries claimed and loaded per query: small enough that a second worker is never left idle while
# one holds a long list of due rows, large enough that loading is one query per batch, not per delivery
# (docs/performance.md, paging_lag).
BATCH = 20
PENDING = (DeliveryState.QUEUED, DeliveryState.RETRYING)


def send_due(*, limit: int = 100, should_stop: Callable[[], bool] = lambda: False) -> int:
    """Worker job: send the deliveries that are due, a batch at a time. Stops between deliveries when
    asked to (SIGTERM), handing the rest of its claim back."""
    sent = 0
    while sent < limit and not should_stop():
        now = timezone.now()
        due = Delivery.objects.filter(state__in=PENDING, next_attempt_at__lte=now)
        ids = claim(due, limit=BATCH, order_by="next_attempt_at")
        if not ids:
            break
        batch = (
            Delivery.objects.select_related(
                "page__recipient",
                "page__acting_for",
                "page__escalation__incident__policy",
                "page__escalation__emergency__policy",
            )
            # The policy row's text and document are large and not needed: the parsed policy is cached.
            .defer(
                "page__escalation__incident__policy__text",
                "page__escalation__incident__policy__document",
                "page__escalation__emergency__policy__text",
                "page__escalation__emergency__policy__document",
            )
            .in_bulk(ids)
        )
        for pk in ids:
            if should_stop():
                Delivery.objects.filter(pk=pk).update(claimed_until=None, claimed_by="")
                continue
            sent += deliver(batch[pk])
    return sent


def deliver(delivery: Delivery) -> int:
    page = delivery.page
    now = timezone.now()
    # A late mail to someone whose deadline passed still goes out while nobody has acknowledged:
    # they can still answer and stop the chain. Once acknowledged or cancelled, it is pointless.
    chain_open = page.escalation.state in (EscalationState.OPEN, EscalationState.EXHAUSTED)
    sendable = chain_open and page.state in (PageState.OPEN, PageState.EXPIRED)
    if not sendable or delivery.state not in PENDING:
        mark_cancelled(delivery)
        return 0
    delivery.attempts += 1
    try:
        detail = TRANSPORTS[delivery.channel].send(page, compose(page), delivery.idempotency_key)
    except TransportError as exc:
        DeliveryAttempt.objects.create(
            delivery=delivery, at=now, ok=False, permanent=exc.permanent, detail=exc.detail[:2000]
        )
        if mark_failed(delivery, exc, now=now):
            move_on_after_permanent_failure(page)
        return 0
    DeliveryAttempt.objects.create(delivery=delivery, at=now, ok=True, detail=detail[:2000])
    mark_sent(delivery, now=now)
    return 1


# The outcome of one try of an ``Outbox`` row (a page's delivery, a roll-call message), whose ``attempts``
# the caller has counted up. Written only while the row is still pending: an acknowledgement or the end of
# an emergency may have cancelled it meanwhile.


def mark_failed(item: Outbox, error: TransportError, *, now: datetime) -> bool:
    """Retry later with backoff, or give up on this channel; returns whether it gave up."""
    give_up = error.permanent or item.attempts >= settings.MAMORI_DELIVERY_MAX_ATTEMPTS
    type(item)._default_manager.filter(pk=item.pk, state__in=PENDING).update(
        attempts=item.attempts,
        last_error=error.detail[:2000],
        claimed_until=None,
        claimed_by="",
        state=DeliveryState.FAILED if give_up else DeliveryState.RETRYING,
        next_attempt_at=now + backoff(item.attempts),
    )
    return give_up


def mark_sent(item: Outbox, *, now: datetime) -> None:
    type(item)._default_manager.filter(pk=item.pk, state__in=PENDING).update(
        attempts=item.attempts,
        state=DeliveryState.SENT,
        sent_at=now,
        last_error="",
        claimed_until=None,
        claimed_by="",
    )


def mark_cancelled(item: Outbox) -> None:
    type(item)._default_manager.filter(pk=item.pk).update(
        state=DeliveryState.CANCELLED, claimed_until=None, claimed_by=""
    )

"""The main instance's side of the relay: the worker pushes the links that work now and collects the
answers given on the relay (MAMORI_RELAY_URL). Connections go from the inside out only, as a closed
network's firewall allows; the relay never calls in.

Each answer is recorded as if given on the main instance (``via=relay``): a roll-call answer through
continuity.rollcall.answer (so "cannot come" skips the person in every chain at once), an
acknowledgement through paging.services.acknowledge. Then the relay is told to delete them.
"""

import json
import logging
import urllib.error
import urllib.request
from datetime import datetime
from typing import Any

from django.conf import settings
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from mamori.continuity import rollcall
from mamori.continuity.choices import AnsweredVia, EmergencyState
from mamori.continuity.models import RollCallEntry
from mamori.incidents.errors import ServiceError
from mamori.paging.choices import EscalationState, PageState
from mamori.paging.models import Page
from mamori.paging.services import acknowledge
from mamori.policy.services import document_of

from .models import LinkKind
from .signing import headers

log = logging.getLogger(__name__)


class RelayUnreachable(Exception):
    pass


def _call(method: str, path: str, payload: Any = None) -> Any:
    body = json.dumps(payload, ensure_ascii=False).encode() if payload is not None else b""
    request = urllib.request.Request(  # noqa: S310 (the scheme is checked in settings)
        settings.MAMORI_RELAY_URL + path,
        data=body if method == "POST" else None,
        method=method,
        headers={"Content-Type": "application/json; charset=utf-8", **headers(body)},
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
            return json.loads(response.read())
    except (urllib.error.URLError, OSError, ValueError) as exc:
        raise RelayUnreachable(f"{method} {path}: {exc}") from None


def live_links(now: datetime) -> list[dict[str, Any]]:
    """Every link that works now: roll-call answers of emergencies in force, pages still waiting."""
    links = []
    entries = RollCallEntry.objects.filter(
        emergency__state=EmergencyState.ACTIVE, token_expires_at__gt=now
    ).select_related("emergency", "person")
    for entry in entries:
        emergency = entry.emergency
        with translation.override(entry.person.language or "ja"):
            intensity = f" {emergency.get_intensity_display()}" if emergency.intensity else ""
            title = f"{emergency.kind_label}{intensity}"
        links.append(
            {
                "token_hash": entry.token_hash,
                "kind": LinkKind.ROLLCALL,
                "title": title,
                "recipient": str(entry.person),
                "must_convene": entry.must_convene,
                "is_drill": emergency.is_drill,
                "expires_at": entry.token_expires_at.isoformat(),
            }
        )
    pages = Page.objects.filter(
        state__in=[PageState.OPEN, PageState.EXPIRED],
        escalation__state__in=[EscalationState.OPEN, EscalationState.EXHAUSTED],
        token_expires_at__gt=now,
    ).select_related("escalation__emergency__policy", "escalation__incident", "recipient")
    for page in pages:
        escalation = page.escalation
        with translation.override(page.recipient.language or "ja"):
            subject = escalation.subject
            if escalation.emergency_id:
                role = document_of(subject.policy).role(escalation.role_key)
                title = _("Emergency %(kind)s: you are paged as %(role)s") % {
                    "kind": subject.kind_label,
                    "role": role.title if role else escalation.role_key,
                }
            else:
                # Nothing of the incident leaves the closed network: the person reads it after logging in.
                title = _("Mamori pages you about an incident: please acknowledge")
            drill = subject.is_drill
        links.append(
            {
                "token_hash": page.token_hash,
                "kind": LinkKind.ACK,
                "title": title,
                "recipient": str(page.recipient),
                "must_convene": False,
                "is_drill": drill,
                "expires_at": page.token_expires_at.isoformat(),
            }
        )
    return links


def _apply(answer: dict[str, Any]) -> None:
    token_hash = str(answer.get("token_hash", ""))
    if answer.get("kind") == LinkKind.ROLLCALL:
        entry = (
            RollCallEntry.objects.filter(token_hash=token_hash).select_related("person", "emergency").first()
        )
        if entry is None:
            return
        payload = answer.get("payload")
        payload = payload if isinstance(payload, dict) else {}
        rollcall.answer(
            entry, rollcall.Answer.from_payload(payload), actor=entry.person, via=AnsweredVia.RELAY
        )
    elif answer.get("kind") == LinkKind.ACK:
        page = Page.objects.filter(token_hash=token_hash).select_related("recipient").first()
        if page is not None:
            acknowledge(page, actor=page.recipient, via="relay")


def sync() -> int:
    """Worker job: push the links, collect and record the answers; returns how many were recorded."""
    if not settings.MAMORI_RELAY_URL:
        return 0
    try:
        _call("POST", "/relay/api/links", {"links": live_links(timezone.now())})
        answers = _call("GET", "/relay/api/answers").get("answers", [])
    except RelayUnreachable as exc:
        log.warning("relay unreachable: %s", exc)
        return 0
    done = []
    for answer in answers:
        try:
            _apply(answer)
        except ServiceError as exc:
            # Refused (the emergency ended meanwhile, an answer the checks refuse): nothing to record.
            log.warning("relay answer %s refused: %s", answer.get("id"), exc.message)
        done.append(answer.get("id"))
    if done:
        try:
            _call("POST", "/relay/api/confirm", {"ids": done})
        except RelayUnreachable as exc:
            # Collected again next time; recording the same answer twice changes nothing.
            log.warning("relay unreachable: %s", exc)
    return len(done)

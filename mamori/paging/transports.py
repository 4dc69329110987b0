"""Channels a page is sent on. Each transport raises ``TransportError`` saying whether a retry could
help (healthchecks' ``Transport``): a full mailbox or a chat tool that is down is transient; an
address the server refuses, or a person with no address, is permanent and the chain moves on."""

import json
import smtplib
import time
import urllib.error
import urllib.request
from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.mail import EmailMessage, get_connection
from django.utils import timezone

from .choices import Channel
from .models import InboxMessage, Page
from .tokens import signature


class TransportError(Exception):
    def __init__(self, detail: str, *, permanent: bool):
        super().__init__(detail)
        self.detail = detail
        self.permanent = permanent


@dataclass
class Message:
    subject: str
    body: str
    ack_url: str
    payload: dict[str, Any]


class Transport(ABC):
    channel: str

    @abstractmethod
    def send(self, page: Page, message: Message, idempotency_key: str) -> str:
        """Send; return a short note of what happened (kept with the attempt)."""


class InboxTransport(Transport):
    channel = Channel.INBOX

    def send(self, page: Page, message: Message, idempotency_key: str) -> str:
        # Idempotent: a retried delivery finds the message it already wrote.
        InboxMessage.objects.get_or_create(
            page=page,
            recipient=page.recipient,
            defaults={"subject": message.subject[:300], "body": message.body, "created_at": timezone.now()},
        )
        return "stored"


def smtp_connection() -> Any:
    """A connection to the SMTP server of ``MAMORI_SMTP`` (docs/operations.md); pages and the
    registers' reminders both send through it."""
    smtp = settings.MAMORI_SMTP
    return get_connection(
        "django.core.mail.backends.smtp.EmailBackend",
        host=smtp["host"],
        port=smtp["port"],
        username=smtp["username"] or None,
        password=smtp["password"] or None,
        use_tls=smtp["use_tls"],
        use_ssl=smtp["use_ssl"],
        timeout=smtp["timeout"],
        fail_silently=False,
    )


class EmailTransport(Transport):
    channel = Channel.EMAIL

    def send(self, page: Page, message: Message, idempotency_key: str) -> str:
        return send_mail(page.recipient.email, message, idempotency_key)


def send_mail(address: str, message: Message, idempotency_key: str) -> str:
    """Mail ``message`` to ``address``; pages and the roll-call of an emergency both send this way."""
    if not address:
        raise TransportError("the person has no mail address", permanent=True)
    connection = smtp_connection()
    mail = EmailMessage(
        message.subject,
        message.body,
        settings.MAMORI_MAIL_FROM,
        [address],
        connection=connection,
        headers={"X-Mamori-Delivery": idempotency_key},
    )
    try:
        mail.send()
    except smtplib.SMTPRecipientsRefused as exc:
        codes = [code for code, _msg in exc.recipients.values()]
        raise TransportError(f"recipient refused: {codes}", permanent=all(c >= 500 for c in codes)) from None
    except smtplib.SMTPResponseException as exc:
        raise TransportError(
            f"SMTP {exc.smtp_code}: {exc.smtp_error!r}", permanent=exc.smtp_code >= 500
        ) from None
    except (TimeoutError, smtplib.SMTPException, OSError) as exc:
        # The server is down or unreachable: worth trying again.
        raise TransportError(f"{type(exc).__name__}: {exc}", permanent=False) from None
    return f"sent to {address}"


class WebhookTransport(Transport):
    """A JSON POST signed with HMAC-SHA256 over ``timestamp.body`` (as chat tools' incoming webhooks
    and Slack-style receivers verify), with an idempotency key against repeats."""

    channel = Channel.WEBHOOK

    def send(self, page: Page, message: Message, idempotency_key: str) -> str:
        return post_webhook(message, idempotency_key)


def post_webhook(message: Message, idempotency_key: str) -> str:
    """POST ``message`` to the configured chat webhook (pages and the roll-call)."""
    url = settings.MAMORI_WEBHOOK_URL
    if not url:
        raise TransportError("no webhook is configured", permanent=True)
    body = json.dumps(
        {**message.payload, "text": f"{message.subject}\n{message.ack_url}"}, ensure_ascii=False
    ).encode()
    timestamp = str(int(time.time()))
    signature = sign(timestamp, body)
    # The scheme is checked at start-up (settings: http or https only).
    request = urllib.request.Request(  # noqa: S310
        url,
        data=body,
        method="POST",
        headers={
            "Content-Type": "application/json; charset=utf-8",
            "X-Mamori-Timestamp": timestamp,
            "X-Mamori-Signature": f"sha256={signature}",
            "Idempotency-Key": idempotency_key,
        },
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
            return f"HTTP {response.status}"
    except urllib.error.HTTPError as exc:
        # 4xx: the receiver refuses this request as it is; 5xx and 429: try again later.
        permanent = 400 <= exc.code < 500 and exc.code not in (408, 429)
        raise TransportError(f"HTTP {exc.code}", permanent=permanent) from None
    except (urllib.error.URLError, OSError) as exc:
        raise TransportError(f"{type(exc).__name__}: {exc}", permanent=False) from None


def sign(timestamp: str, body: bytes) -> str:
    return signature(settings.MAMORI_WEBHOOK_SECRET, timestamp, body)


TRANSPORTS: dict[str, Transport] = {
    t.channel: t for t in (InboxTransport(), EmailTransport(), WebhookTransport())
}


def channels_in_use() -> list[str]:
    """The configured channels that can work here (a webhook only when one is configured)."""
    return [
        c
        for c in settings.MAMORI_PAGE_CHANNELS
        if c in TRANSPORTS and (c != Channel.WEBHOOK or settings.MAMORI_WEBHOOK_URL)
    ]

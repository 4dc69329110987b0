"""Requests between the main instance and the relay are signed with HMAC-SHA256 over
``timestamp.body`` under ``MAMORI_RELAY_SECRET`` (as the chat webhooks are, paging/transports.py), and
refused when the timestamp is more than five minutes off: a captured request cannot be replayed later."""

import hmac
import time

from django.conf import settings

from mamori.paging.tokens import signature

WINDOW_SECONDS = 300


def sign(timestamp: str, body: bytes) -> str:
    return signature(settings.MAMORI_RELAY_SECRET, timestamp, body)


def headers(body: bytes) -> dict[str, str]:
    timestamp = str(int(time.time()))
    return {"X-Mamori-Timestamp": timestamp, "X-Mamori-Signature": f"sha256={sign(timestamp, body)}"}


def verify(timestamp: str, signature: str, body: bytes) -> bool:
    if not settings.MAMORI_RELAY_SECRET or not timestamp.isdigit():
        return False
    if abs(time.time() - int(timestamp)) > WINDOW_SECONDS:
        return False
    return hmac.compare_digest(signature, f"sha256={sign(timestamp, body)}")

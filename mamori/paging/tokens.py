"""One-time acknowledgement links: bound to one page (and so one recipient), expiring, single use.

The token is an HMAC of a random per-page salt under the secret key: a retried delivery can carry the
same link again, while the database alone (a stolen backup) cannot make a valid one.
"""

import hashlib
import hmac
import secrets

from django.conf import settings


def new_salt() -> str:
    return secrets.token_hex(16)


def page_token(salt: str) -> str:
    mac = hmac.new(settings.SECRET_KEY.encode(), f"mamori.page-ack:{salt}".encode(), hashlib.sha256)
    return mac.hexdigest()[:40]


def signature(secret: str, timestamp: str, body: bytes) -> str:
    """HMAC-SHA256 over ``timestamp.body``: how webhook requests and the relay's requests are signed."""
    return hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def rollcall_token(salt: str) -> str:
    """The link of one person's roll-call answer in one emergency (continuity.rollcall)."""
    mac = hmac.new(settings.SECRET_KEY.encode(), f"mamori.rollcall:{salt}".encode(), hashlib.sha256)
    return mac.hexdigest()[:40]

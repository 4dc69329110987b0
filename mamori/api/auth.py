"""API authentication: ``Authorization: Bearer <token>``; the browser's session also works."""

import hashlib
import secrets
from datetime import datetime
from typing import Any

from django.db import transaction
from django.utils import timezone
from ninja.security import HttpBearer

from mamori.journal.services import record

from .models import ApiToken

TOKEN_PREFIX = "mmr_"  # noqa: S105 -- a visible prefix, not a secret


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create_token(
    user: Any, *, actor: Any, name: str, expires_at: datetime | None = None
) -> tuple[ApiToken, str]:
    """Create a token; the clear token is returned once and only its hash is stored."""
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    with transaction.atomic():
        api_token = ApiToken.objects.create(
            user=user,
            name=name[:100],
            prefix=token[:12],
            token_hash=hash_token(token),
            created_at=timezone.now(),
            expires_at=expires_at,
        )
        record(
            actor=actor,
            action="api_token.created",
            obj=api_token,
            organization=user.organization,
            data={
                "user": user.username,
                "name": api_token.name,
                "prefix": api_token.prefix,
                "expires_at": expires_at.isoformat() if expires_at else None,
            },
        )
    return api_token, token


class BearerToken(HttpBearer):
    def authenticate(self, request, token: str):
        if not token or len(token) > 200:
            return None
        api_token = (
            ApiToken.objects.select_related("user", "user__organization")
            .filter(token_hash=hash_token(token), revoked_at__isnull=True)
            .first()
        )
        if api_token is None or not api_token.user.is_active:
            return None
        now = timezone.now()
        if api_token.expires_at and api_token.expires_at <= now:
            return None
        # Touch at most once a minute: a busy integration should not write on every call.
        if api_token.last_used_at is None or (now - api_token.last_used_at).total_seconds() > 60:
            ApiToken.objects.filter(pk=api_token.pk).update(last_used_at=now)
        request.user = api_token.user
        return api_token.user

"""API authentication: ``Authorization: Bearer <token>``; the browser's session also works."""

import hashlib
import secrets
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from ninja.security import HttpBearer

from mamori.accounts import ratelimit
from mamori.incidents.errors import ServiceError
from mamori.journal.services import record

from .models import SCOPES, ApiToken

TOKEN_PREFIX = "mmr_"  # noqa: S105 -- a visible prefix, not a secret


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create_token(
    user: Any,
    *,
    actor: Any,
    name: str,
    expires_at: datetime | None = None,
    scopes: Sequence[str] = tuple(SCOPES),
) -> tuple[ApiToken, str]:
    """Create a token; the clear token is returned once and only its hash is stored."""
    unknown = sorted(set(scopes) - set(SCOPES))
    if unknown or not scopes:
        raise ValueError(f"unknown or no scopes: {unknown}")
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    with transaction.atomic():
        api_token = ApiToken.objects.create(
            user=user,
            name=name[:100],
            prefix=token[:12],
            token_hash=hash_token(token),
            created_at=timezone.now(),
            expires_at=expires_at,
            scopes=sorted(set(scopes)),
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
                "scopes": sorted(set(scopes)),
            },
        )
    return api_token, token


class OutOfScope(ServiceError):
    code = "out_of_scope"
    status = 403
    default_message = gettext_lazy("This token may not be used for this.")


class TooManyCalls(ServiceError):
    code = "too_many_requests"
    status = 429
    default_message = gettext_lazy("Too many calls with this token. Wait a minute and try again.")


def scope_for(method: str | None, path: str) -> str:
    """The scope a call needs: filing a report, reading, or changing incidents."""
    if method in ("GET", "HEAD", "OPTIONS"):
        return "incidents:read"
    if path.rstrip("/").endswith("/v1/reports"):
        return "reports:write"
    return "incidents:write"


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
        needed = scope_for(request.method, request.path)
        if needed not in api_token.scopes:
            raise OutOfScope(
                _("This token may not be used for this (it needs the scope %(scope)s).") % {"scope": needed}
            )
        if not ratelimit.allow(
            "token", str(api_token.pk), limit=settings.MAMORI_API_CALLS_PER_MINUTE, window_seconds=60
        ):
            raise TooManyCalls()
        # Touch at most once a minute: a busy integration should not write on every call.
        if api_token.last_used_at is None or (now - api_token.last_used_at).total_seconds() > 60:
            ApiToken.objects.filter(pk=api_token.pk).update(last_used_at=now)
        request.user = api_token.user
        return api_token.user

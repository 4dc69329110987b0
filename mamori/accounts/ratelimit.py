"""Rate limits on login attempts and API token use (issue: abuse resistance).

Counts live in ``RateWindow`` rows, one per key and fixed window, so that every web process and
worker sees the same count. Keys are HMACs of what they count (client address, token id), so the
table holds no addresses. The worker deletes windows older than a day (``purge_old_windows``).

The public report form has its own hourly limit per address (intake/services.py).
"""

import hashlib
import hmac
import logging
import time

from django.conf import settings
from django.db import connection, transaction

from .models import RateWindow

log = logging.getLogger("mamori.ratelimit")
KEEP_SECONDS = 24 * 3600


def key_for(kind: str, value: str) -> str:
    mac = hmac.new(settings.SECRET_KEY.encode(), f"mamori.rate:{kind}:{value}".encode(), hashlib.sha256)
    return f"{kind}:{mac.hexdigest()[:40]}"


def _count_use(key: str, window: int) -> int:
    """Add one use to the window and return its count: one statement, so that an API call or a login
    attempt costs one short write and no transaction of its own (SQLite 3.35+ and PostgreSQL both
    have INSERT … ON CONFLICT … RETURNING)."""
    table = connection.ops.quote_name(RateWindow._meta.db_table)
    key_col, window_col, count_col = (connection.ops.quote_name(c) for c in ("key", "window", "count"))
    # In a transaction of its own: on SQLite, writers then queue on the file lock (mamori/sqlite/base.py)
    # instead of sleeping in SQLite's busy handler behind a report being filed.
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} ({key_col}, {window_col}, {count_col}) VALUES (%s, %s, 1) "  # noqa: S608 -- names are ours
            f"ON CONFLICT ({key_col}, {window_col}) DO UPDATE SET {count_col} = {table}.{count_col} + 1 "
            f"RETURNING {count_col}",
            [key, window],
        )
        return cursor.fetchone()[0]


def allow(kind: str, value: str, *, limit: int, window_seconds: int) -> bool:
    """Count one use; False once more than ``limit`` uses fall in the current window."""
    if limit <= 0:
        return True
    window = int(time.time()) // window_seconds * window_seconds
    count = _count_use(key_for(kind, value), window)
    if count > limit:
        log.warning("rate limit: %s over %d per %d s", kind, limit, window_seconds)
        return False
    return True


def purge_old_windows() -> int:
    """Worker job: drop windows nobody counts any more."""
    return RateWindow.objects.filter(window__lt=int(time.time()) - KEEP_SECONDS).delete()[0]

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
from django.db import IntegrityError, transaction
from django.db.models import F

from .models import RateWindow

log = logging.getLogger("mamori.ratelimit")
KEEP_SECONDS = 24 * 3600


def key_for(kind: str, value: str) -> str:
    mac = hmac.new(settings.SECRET_KEY.encode(), f"mamori.rate:{kind}:{value}".encode(), hashlib.sha256)
    return f"{kind}:{mac.hexdigest()[:40]}"


def allow(kind: str, value: str, *, limit: int, window_seconds: int) -> bool:
    """Count one use; False once more than ``limit`` uses fall in the current window."""
    if limit <= 0:
        return True
    key = key_for(kind, value)
    window = int(time.time()) // window_seconds * window_seconds
    with transaction.atomic():
        if not RateWindow.objects.filter(key=key, window=window).update(count=F("count") + 1):
            try:
                with transaction.atomic():
                    RateWindow.objects.create(key=key, window=window, count=1)
            except IntegrityError:  # another process made the row first
                RateWindow.objects.filter(key=key, window=window).update(count=F("count") + 1)
        count = RateWindow.objects.filter(key=key, window=window).values_list("count", flat=True).get()
    if count > limit:
        log.warning("rate limit: %s over %d per %d s", kind, limit, window_seconds)
        return False
    return True


def purge_old_windows() -> int:
    """Worker job: drop windows nobody counts any more."""
    return RateWindow.objects.filter(window__lt=int(time.time()) - KEEP_SECONDS).delete()[0]

"""Claiming due rows so that each is worked on by one worker at a time.

PostgreSQL: ``SELECT … FOR UPDATE SKIP LOCKED`` — several workers side by side each take rows the
others have not locked. SQLite: one conditional UPDATE that stamps the rows with this claim's
token; only rows still unclaimed are stamped, so two workers never get the same row.
A claim is a lease: if the worker dies, the row is free again when ``claimed_until`` passes.
"""

import uuid
from datetime import timedelta

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Q, QuerySet
from django.utils import timezone


def lease() -> timedelta:
    return timedelta(seconds=settings.MAMORI_CLAIM_LEASE_SECONDS)


def unclaimed(now) -> Q:
    return Q(claimed_until__isnull=True) | Q(claimed_until__lt=now)


def claim(queryset: QuerySet, *, limit: int, order_by: str) -> list[int]:
    """Claim up to ``limit`` rows of ``queryset`` (due work, oldest first); return their ids."""
    now = timezone.now()
    token = uuid.uuid4().hex
    model = queryset.model
    available = queryset.filter(unclaimed(now)).order_by(order_by)
    if connection.vendor == "postgresql":
        with transaction.atomic():
            ids = list(available.select_for_update(skip_locked=True).values_list("pk", flat=True)[:limit])
            model.objects.filter(pk__in=ids).update(claimed_until=now + lease(), claimed_by=token)
        return ids
    ids = list(available.values_list("pk", flat=True)[:limit])
    if not ids:
        return []
    with transaction.atomic():
        model.objects.filter(pk__in=ids).filter(unclaimed(now)).update(
            claimed_until=now + lease(), claimed_by=token
        )
        return list(model.objects.filter(pk__in=ids, claimed_by=token).values_list("pk", flat=True))


def release(model, pk: int) -> None:
    model.objects.filter(pk=pk).update(claimed_until=None, claimed_by="")

"""Report and incident numbers: one sequence per organisation and fiscal year, e.g. ``R8-0001``."""

from datetime import datetime

from django.db import connection

from mamori import wareki

from .models import ReferenceCounter


def _take_next(organization_id: int, fy: int) -> int | None:
    """Raise the year's counter and return the new number, in one statement that also locks the row
    until the transaction ends (so numbers are never handed out twice); None if the year has no
    counter yet. Every report takes a number, so this is on the intake's critical path."""
    table = connection.ops.quote_name(ReferenceCounter._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {table} SET last_number = last_number + 1 "  # noqa: S608 -- the table name is ours
            "WHERE organization_id = %s AND fiscal_year = %s RETURNING last_number",
            [organization_id, fy],
        )
        row = cursor.fetchone()
    return row[0] if row else None


def next_reference(organization, at: datetime) -> tuple[int, str]:
    """Hand out the next number of ``at``'s fiscal year. Must run inside a transaction."""
    fy = wareki.fiscal_year(at)
    number = _take_next(organization.pk, fy)
    if number is None:
        # The year's first number: make its counter (two first reports racing meet on the unique
        # constraint; get_or_create then takes the row the other one made).
        counter, _ = ReferenceCounter.objects.select_for_update().get_or_create(
            organization=organization, fiscal_year=fy
        )
        counter.last_number += 1
        counter.save(update_fields=["last_number"])
        number = counter.last_number
    return fy, f"{wareki.reference_prefix(fy)}-{number:04d}"

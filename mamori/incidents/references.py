"""Report and incident numbers: one sequence per organisation and fiscal year, e.g. ``R8-0001``."""

from datetime import datetime

from mamori import wareki

from .models import ReferenceCounter


def next_reference(organization, at: datetime) -> tuple[int, str]:
    """Hand out the next number of ``at``'s fiscal year. Must run inside a transaction."""
    fy = wareki.fiscal_year(at)
    counter, _ = ReferenceCounter.objects.select_for_update().get_or_create(
        organization=organization, fiscal_year=fy
    )
    counter.last_number += 1
    counter.save(update_fields=["last_number"])
    return fy, f"{wareki.reference_prefix(fy)}-{counter.last_number:04d}"

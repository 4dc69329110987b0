"""Reading the register of information assets back from Excel (the sheet write_assets writes), as
workbook_import.py reads the systems: every row checked first (the dry run), then all rows or none."""

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from mamori.incidents.errors import Invalid
from mamori.incidents.register_cells import CellError, fold, header_key, parse_bool
from mamori.journal.services import record
from mamori.people.models import Organization
from mamori.policy.services import active_policy

from .information_assets import AssetInput, check_asset, create_asset, normalized_asset, update_asset
from .models import AssetKind, InformationAsset, InformationSystem
from .workbook import ASSETS_SHEET, asset_columns
from .workbook_import import Cells, CheckResult, open_register, read_rows


@dataclass
class PlannedAsset:
    row: int
    data: AssetInput
    existing: InformationAsset | None
    changes: list[str] = field(default_factory=list)
    software_changes: bool = False  # assets have no software; kept for the shared preview

    @property
    def action(self) -> str:
        if self.existing is None:
            return "add"
        return "change" if self.changes else "same"


def _kind(text: str) -> str:
    if not text:
        return AssetKind.DATA
    for key, label in AssetKind.choices:
        if header_key(text) in (header_key(key), header_key(str(label))):
            return key
    raise CellError(
        _("“%(value)s” is not a kind of asset (%(choices)s).")
        % {"value": text, "choices": "・".join(str(label) for _key, label in AssetKind.choices)}
    )


def check_assets(organization: Organization, path: Path) -> CheckResult:
    """The dry run. Raises ``RegisterFileError`` when the file as a whole cannot be used."""
    policy = active_policy(organization)
    columns = asset_columns(policy)
    sheet, mapping, result = open_register(path, ASSETS_SHEET, columns)
    cells = Cells(organization, policy)
    systems = {s.code: s for s in InformationSystem.objects.filter(organization=organization)}

    def system_of(text: str) -> InformationSystem | None:
        if not text:
            return None
        code = fold(text).split()[0]
        if code not in systems:
            raise CellError(_("No system has the register number “%(code)s”.") % {"code": code})
        return systems[code]

    read_rows(
        sheet,
        mapping,
        columns,
        result,
        cells=cells,
        existing={a.code: a for a in InformationAsset.objects.filter(organization=organization)},
        make=lambda value: AssetInput(
            code=fold(value("code")), name=value("name"), location=value("location"), notes=value("notes")
        ),
        readers=[
            ("kind", _kind),
            ("owner_department", cells.department),
            ("manager", cells.person),
            ("system", system_of),
            ("personal_data", parse_bool),
            ("personal_data_count", cells.count),
            ("in_use", parse_bool),
        ],
        check=lambda data, current: check_asset(organization, data, instance=current),
        normalize=normalized_asset,
        plan=PlannedAsset,
    )
    return result


def import_assets(organization: Organization, path: Path, *, actor: Any) -> CheckResult:
    """Check again and apply every row, or nothing (``Invalid`` or ``RegisterFileError``)."""
    with transaction.atomic():
        result = check_assets(organization, path)
        if result.errors:
            raise Invalid(_("The file has %(n)s problems; nothing was imported.") % {"n": len(result.errors)})
        for plan in result.planned:
            if plan.existing is None:
                create_asset(organization, actor=actor, data=plan.data)
            elif plan.changes:
                update_asset(plan.existing, actor=actor, data=plan.data)
        record(
            actor=actor,
            action="assets.imported",
            object_type="assets.asset_register",
            object_label=path.name,
            organization=organization,
            data=result.counts(),
        )
    return result

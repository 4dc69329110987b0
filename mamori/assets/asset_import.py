"""Reading the register of information assets back from Excel (the sheet write_assets writes), as
workbook_import.py reads the systems: every row checked first (the dry run), then all rows or none."""

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from mamori.incidents.errors import Invalid
from mamori.incidents.register_cells import CellError, cell_text, fold, header_key, parse_bool
from mamori.incidents.register_sheet import RegisterFileError, read_sheet
from mamori.journal.services import record
from mamori.people.models import Organization
from mamori.policy.services import active_policy

from .information_assets import AssetInput, check_asset, create_asset, normalized_asset, update_asset
from .models import AssetKind, InformationAsset, InformationSystem
from .workbook import ASSETS_SHEET, asset_columns
from .workbook_import import Cells, CheckResult, RowError, column_mapping, header_names, read_named

REQUIRED = ("code", "name")


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
    labels = {c.key: str(c.label) for c in columns}
    probe = read_sheet(path, known=set().union(*(header_names(c) for c in columns)))
    sheet = (
        read_named(path, ASSETS_SHEET, columns)
        if ASSETS_SHEET in probe.names and probe.name != ASSETS_SHEET
        else probe
    )
    mapping, ignored = column_mapping(sheet, columns)
    missing = [labels[key] for key in REQUIRED if key not in mapping]
    if missing:
        raise RegisterFileError(
            _(
                "The sheet “%(sheet)s” has no column %(columns)s. Export the register once to see the expected columns."
            )
            % {"sheet": sheet.name, "columns": "、".join(f"「{m}」" for m in missing)}
        )
    result = CheckResult(ignored_columns=ignored)
    cells = Cells(organization, policy)
    existing = {a.code: a for a in InformationAsset.objects.filter(organization=organization)}
    systems = {s.code: s for s in InformationSystem.objects.filter(organization=organization)}
    seen: dict[str, int] = {}

    def system_of(text: str) -> InformationSystem | None:
        if not text:
            return None
        code = fold(text).split()[0]
        if code not in systems:
            raise CellError(_("No system has the register number “%(code)s”.") % {"code": code})
        return systems[code]

    for number, row in sheet.rows:
        errors_before = len(result.errors)

        def value(key: str, row: tuple[Any, ...] = row) -> str:
            return cell_text(sheet.cell(row, mapping[key])) if key in mapping else ""

        def fail(key: str, message: str, number: int = number) -> None:
            column = sheet.header(mapping[key]) if key in mapping else ""
            result.errors.append(RowError(sheet.name, number, column, message))

        data = AssetInput(
            code=fold(value("code")), name=value("name"), location=value("location"), notes=value("notes")
        )
        readers: list[tuple[str, Any]] = [
            ("kind", _kind),
            ("owner_department", cells.department),
            ("manager", cells.person),
            ("system", system_of),
            ("personal_data", parse_bool),
            ("personal_data_count", cells.count),
        ]
        for key, reader in readers:
            try:
                setattr(data, key, reader(value(key)))
            except CellError as exc:
                fail(key, str(exc))
        if "in_use" in mapping:
            try:
                data.in_use = parse_bool(value("in_use"))
            except CellError as exc:
                fail("in_use", str(exc))
        for column in columns:
            if column.key.startswith("class_"):
                axis_key = column.key.removeprefix("class_")
                try:
                    level = cells.level(axis_key, value(column.key))
                except CellError as exc:
                    fail(column.key, str(exc))
                    continue
                if level:
                    data.classification[axis_key] = level
        if data.code in seen:
            fail(
                "code",
                _("Register number “%(code)s” is also on row %(row)s.")
                % {"code": data.code, "row": seen[data.code]},
            )
        seen.setdefault(data.code, number)
        current = existing.get(data.code)
        if len(result.errors) == errors_before:
            for key, message in check_asset(organization, data, instance=current).items():
                fail(key if key in mapping else "", message)
        plan = PlannedAsset(number, data, current)
        if current is not None:
            plan.changes = [labels.get(k, k) for k in _changed(current, data)]
        result.planned.append(plan)
    return result


def _changed(asset: InformationAsset, data: AssetInput) -> list[str]:
    changed = []
    for key, new in normalized_asset(data).items():
        old = getattr(asset, key)
        if key == "classification":
            changed += [f"class_{k}" for k in sorted(set(old) | set(new)) if old.get(k) != new.get(k)]
        elif old != new:
            changed.append(key)
    return changed


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

"""The register of information systems as an Excel workbook, written and read back.

Municipalities keep this register in Excel today (tatebayashi 2(2)①(イ)), so Mamori writes the same
workbook it reads: sheet 「情報システム台帳」 (one row per system, keyed by 管理番号) and sheet
「ソフトウェア」 (one row per product of a system). People are written as “name (user ID)” so that a
round trip finds the same person; segments and classes as the policy's labels, with a drop-down list in
each of those cells. workbook_import.py reads it.
"""

import io
from dataclasses import dataclass
from typing import Any

from django.db.models import QuerySet
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation

from mamori.incidents.register_export import yes_no
from mamori.policy.schema import PolicyDocument

from .models import AssetKind, InformationAsset, InformationSystem

XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
SYSTEMS_SHEET = "情報システム台帳"
SOFTWARE_SHEET = "ソフトウェア"


@dataclass(frozen=True)
class Column:
    key: str  # a SystemInput field, or "class_<axis>" for a classification axis
    label: Any  # the header (translated), or the axis's label from the policy
    width: int = 16


BASE_COLUMNS = [
    Column("code", _("Register number"), 12),
    Column("name", _("System name"), 28),
    Column("purpose", _("Business use"), 30),
    Column("owner_department", _("Owner department"), 16),
    Column("administrator", _("System administrator"), 24),
    Column("operator", _("System operator"), 24),
    Column("vendor", _("Vendor"), 20),
    Column("vendor_contact", _("Vendor contact"), 20),
    Column("location", _("Location"), 16),
    Column("segment", _("Network segment"), 18),
]
TAIL_COLUMNS = [
    Column("personal_data", _("Holds personal data"), 10),
    Column("personal_data_count", _("Number of persons"), 10),
    Column("in_use", _("In use"), 8),
    Column("notes", _("Notes"), 30),
]
SOFTWARE_COLUMNS = [
    Column("code", _("Register number"), 12),
    Column("product", _("Product"), 30),
    Column("version", _("Version"), 16),
    Column("publisher", _("Publisher"), 24),
]


def system_columns(policy: PolicyDocument) -> list[Column]:
    axes = policy.classification.axes if policy.classification else []
    return [*BASE_COLUMNS, *(Column(f"class_{a.key}", a.label, 12) for a in axes), *TAIL_COLUMNS]


def person_cell(person: Any) -> str:
    return f"{person.get_full_name()} ({person.username})" if person else ""


def _header(sheet: Any, columns: list[Column]) -> None:
    bold, fill = Font(bold=True), PatternFill("solid", fgColor="DDEBF7")
    for i, column in enumerate(columns, start=1):
        cell = sheet.cell(
            row=1, column=i, value=str(column.label) if isinstance(column.label, Promise) else column.label
        )
        cell.font, cell.fill = bold, fill
        sheet.column_dimensions[get_column_letter(i)].width = column.width
    sheet.freeze_panes = "B2"


def _choices(sheet: Any, column: int, options: list[str], rows: int) -> None:
    """A drop-down of the policy's labels in the column (Excel's list is at most 255 characters)."""
    text = ",".join(options)
    if not options or len(text) > 255 or any("," in o or '"' in o for o in options):
        return
    letter = get_column_letter(column)
    validation = DataValidation(type="list", formula1=f'"{text}"', allow_blank=True)
    validation.add(f"{letter}2:{letter}{max(rows, 1) + 200}")
    sheet.add_data_validation(validation)


def entry_cell(entry: Any, key: str, policy: PolicyDocument) -> Any:
    """One cell of a system's or an asset's row, as staff read it: the policy's labels, people as
    “name (user ID)”, yes/no."""
    if key.startswith("class_"):
        axis = policy.axis(key.removeprefix("class_"))
        level = entry.classification.get(key.removeprefix("class_"), "")
        return next((lv.label for lv in axis.levels if lv.key == level), level) if axis else level
    if key == "segment":
        segment = policy.segment(entry.segment)
        return segment.label if segment else entry.segment
    if key == "kind":
        return str(dict(AssetKind.choices).get(entry.kind, entry.kind))
    if key in ("administrator", "operator", "manager"):
        return person_cell(getattr(entry, key))
    if key == "owner_department":
        return entry.owner_department.name if entry.owner_department else ""
    if key == "system":
        return str(entry.system) if entry.system else ""
    if key in ("personal_data", "in_use"):
        return yes_no(getattr(entry, key))
    value = getattr(entry, key)
    return "" if value is None else value


def _write_entries(sheet: Any, entries: Any, columns: list[Column], policy: PolicyDocument) -> None:
    """Header, one row per entry, and a drop-down of the policy's labels in each column that has them."""
    _header(sheet, columns)
    wrap = Alignment(wrap_text=True, vertical="top")
    count = 0
    for entry in entries:
        sheet.append([entry_cell(entry, column.key, policy) for column in columns])
        count += 1
        for cell in sheet[count + 1]:
            cell.alignment = wrap
    for i, column in enumerate(columns, start=1):
        if column.key == "segment" and policy.asset_register:
            _choices(sheet, i, [s.label for s in policy.asset_register.segments], count)
        elif column.key.startswith("class_"):
            axis = policy.axis(column.key.removeprefix("class_"))
            _choices(sheet, i, [lv.label for lv in axis.levels] if axis else [], count)
        elif column.key == "kind":
            _choices(sheet, i, [str(label) for _key, label in AssetKind.choices], count)
        elif column.key in ("personal_data", "in_use"):
            _choices(sheet, i, [yes_no(True), yes_no(False)], count)


def write_register(systems: QuerySet[InformationSystem], policy: PolicyDocument) -> bytes:
    rows = list(
        systems.select_related("owner_department", "administrator", "operator").prefetch_related("software")
    )
    book = Workbook()
    sheet = book.worksheets[0]
    sheet.title = SYSTEMS_SHEET
    _write_entries(sheet, rows, system_columns(policy), policy)
    software = [
        [s.code, item.product, item.version, item.publisher] for s in rows for item in s.software.all()
    ]
    products = book.create_sheet(SOFTWARE_SHEET)
    _header(products, SOFTWARE_COLUMNS)
    for row in software:
        products.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


ASSETS_SHEET = "情報資産台帳"
ASSET_BASE_COLUMNS = [
    Column("code", _("Register number"), 12),
    Column("name", pgettext_lazy("register entry", "Name"), 28),
    Column("kind", _("Kind"), 14),
    Column("owner_department", _("Owner department"), 16),
    Column("manager", _("Responsible manager"), 24),
    Column("location", _("Where it is kept"), 20),
    Column("system", _("In the system"), 24),
]


def asset_columns(policy: PolicyDocument) -> list[Column]:
    axes = policy.classification.axes if policy.classification else []
    return [*ASSET_BASE_COLUMNS, *(Column(f"class_{a.key}", a.label, 12) for a in axes), *TAIL_COLUMNS]


def write_assets(assets: QuerySet[InformationAsset], policy: PolicyDocument) -> bytes:
    """The 情報資産台帳 as one sheet, as write_register writes the systems."""
    assets = assets.select_related("owner_department", "manager", "system")
    book = Workbook()
    sheet = book.worksheets[0]
    sheet.title = ASSETS_SHEET
    _write_entries(sheet, assets, asset_columns(policy), policy)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()

"""Reading the register of information systems back from Excel: check every row, then all or nothing.

``check_workbook`` is the dry run: it reads both sheets (workbook.py writes them), resolves each cell
(people, departments, the policy's segments and classes) and says, row by row and column by column,
what is wrong, or what each row would do (add, change, nothing). ``import_workbook`` checks again and,
only if nothing is wrong, applies every row through the services in one transaction: a file with one
bad row changes nothing. Systems missing from the file are left as they are (a file may hold one
department's systems). Where the file has a 「ソフトウェア」 sheet, it is the whole software list of every
system in the register sheet (a system with no row there has its list emptied).
"""

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django import forms
from django.db import transaction
from django.utils import translation
from django.utils.translation import gettext as _

from mamori.incidents.errors import Invalid
from mamori.incidents.register_cells import CellError, cell_text, fold, header_key, parse_bool
from mamori.incidents.register_sheet import RegisterFileError, Sheet, read_sheet
from mamori.journal.services import record
from mamori.people.fields import PersonField
from mamori.people.models import Department, Organization, User
from mamori.policy.schema import PolicyDocument
from mamori.policy.services import active_policy

from .models import InformationSystem
from .services import (
    SoftwareInput,
    SystemInput,
    check_software,
    check_system,
    create_system,
    normalized,
    set_software,
    update_system,
)
from .workbook import SOFTWARE_COLUMNS, SOFTWARE_SHEET, SYSTEMS_SHEET, Column, system_columns

PERSON_IN_PARENS = re.compile(r"[(（]\s*([^()（）\s]+)\s*[)）]\s*$")
REQUIRED = ("code", "name")


@dataclass
class RowError:
    sheet: str
    row: int  # as Excel numbers it
    column: str  # the header as written, or "" for the row as a whole
    message: str


@dataclass
class PlannedSystem:
    row: int
    data: SystemInput
    existing: InformationSystem | None
    changes: list[str] = field(default_factory=list)  # the labels of the fields that would change
    software: list[SoftwareInput] | None = None  # None: the file has no software sheet
    software_changes: bool = False

    @property
    def action(self) -> str:
        if self.existing is None:
            return "add"
        return "change" if self.changes or self.software_changes else "same"


@dataclass
class CheckResult:
    planned: list[Any] = field(default_factory=list)  # PlannedSystem, or asset_import.PlannedAsset
    errors: list[RowError] = field(default_factory=list)
    ignored_columns: list[str] = field(default_factory=list)

    def counts(self) -> dict[str, int]:
        counts = {"add": 0, "change": 0, "same": 0}
        for plan in self.planned:
            counts[plan.action] += 1
        return counts


def header_names(column: Column) -> set[str]:
    """The headers taken to mean ``column``: its Japanese and English labels and its key."""
    names = {header_key(column.key), header_key(str(column.label))}
    for language in ("ja", "en"):
        with translation.override(language):
            names.add(header_key(str(column.label)))
    return names


def column_mapping(sheet: Sheet, columns: list[Column]) -> tuple[dict[str, str], list[str]]:
    """Field key → column letter; and the headers that fit no column (ignored, and said so)."""
    mapping: dict[str, str] = {}
    ignored = []
    names = {column.key: header_names(column) for column in columns}
    for letter, text in sheet.headers:
        key = next((k for k, found in names.items() if header_key(text) in found and k not in mapping), None)
        if key is None:
            ignored.append(text)
        else:
            mapping[key] = letter
    return mapping, ignored


class Cells:
    """Reads one organisation's cells: people, departments and the policy's labels, cached per file."""

    def __init__(self, organization: Organization, policy: PolicyDocument):
        self.organization = organization
        self.policy = policy
        self.departments = {fold(d.name): d for d in Department.objects.filter(organization=organization)}
        self.people: dict[str, User | None] = {}
        self.field = PersonField(organization_id=organization.pk, required=False)

    def person(self, text: str) -> User | None:
        if not text:
            return None
        if text not in self.people:
            match = PERSON_IN_PARENS.search(text)
            candidates = [match.group(1), text] if match else [text]
            found: User | None = None
            problem = ""
            for candidate in candidates:
                try:
                    found = self.field.clean(candidate)
                    break
                except forms.ValidationError as exc:
                    problem = problem or " ".join(exc.messages)
            if found is None:
                raise CellError(problem)
            self.people[text] = found
        return self.people[text]

    def department(self, text: str) -> Department | None:
        if not text:
            return None
        department = self.departments.get(fold(text))
        if department is None:
            raise CellError(
                _("No department is called “%(name)s”; add it first or correct the name.") % {"name": text}
            )
        return department

    def segment(self, text: str) -> str:
        if not text:
            return ""
        segments = self.policy.asset_register.segments if self.policy.asset_register else []
        for segment in segments:
            if header_key(text) in (header_key(segment.key), header_key(segment.label)):
                return segment.key
        raise CellError(
            _("“%(value)s” is not a network segment of the policy (%(choices)s).")
            % {"value": text, "choices": "・".join(s.label for s in segments) or "—"}
        )

    def level(self, axis_key: str, text: str) -> str:
        axis = self.policy.axis(axis_key)
        if not text or axis is None:
            return ""
        for level in axis.levels:
            if header_key(text) in (header_key(level.key), header_key(level.label)):
                return level.key
        raise CellError(
            _("“%(value)s” is not a level of %(axis)s (%(choices)s).")
            % {"value": text, "axis": axis.label, "choices": "・".join(lv.label for lv in axis.levels)}
        )

    @staticmethod
    def count(text: str) -> int | None:
        if not text:
            return None
        digits = fold(text).replace(",", "").removesuffix("人").strip()
        if not digits.isdigit():
            raise CellError(_("“%(value)s” is not a number of persons.") % {"value": text})
        return int(digits)


def read_named(path: Path, name: str, columns: list[Column]) -> Sheet:
    known = set().union(*(header_names(c) for c in columns))
    return read_sheet(path, sheet=name, known=known)


def open_register(
    path: Path, sheet_name: str, columns: list[Column]
) -> tuple[Sheet, dict[str, str], CheckResult]:
    """The register's sheet (``sheet_name`` if the workbook has it, else the first), its columns by field,
    and a result noting the headers that fit no column. ``RegisterFileError`` if a required column is missing."""
    known = set().union(*(header_names(c) for c in columns))
    sheet = read_sheet(path, known=known)
    if sheet_name in sheet.names and sheet.name != sheet_name:
        sheet = read_named(path, sheet_name, columns)
    mapping, ignored = column_mapping(sheet, columns)
    labels = {c.key: str(c.label) for c in columns}
    missing = [labels[key] for key in REQUIRED if key not in mapping]
    if missing:
        raise RegisterFileError(
            _(
                "The sheet “%(sheet)s” has no column %(columns)s. Export the register once to see the expected columns."
            )
            % {"sheet": sheet.name, "columns": "、".join(f"「{m}」" for m in missing)}
        )
    return sheet, mapping, CheckResult(ignored_columns=ignored)


def read_rows(
    sheet: Sheet,
    mapping: dict[str, str],
    columns: list[Column],
    result: CheckResult,
    *,
    cells: Cells,
    existing: dict[str, Any],
    make: Callable[[Callable[[str], str]], Any],
    readers: list[tuple[str, Callable[[str], Any]]],
    check: Callable[[Any, Any], dict[str, str]],
    normalize: Callable[[Any], dict[str, Any]],
    plan: Callable[[int, Any, Any], Any],
) -> None:
    """The row loop both registers share: ``make`` the input from the text cells, read the other cells
    (only columns the sheet has, so a missing column keeps the default), the classes, a register number
    given twice, then the service's own ``check`` — each problem with its row and column — and what the
    row would change. Appends to ``result``."""
    labels = {c.key: str(c.label) for c in columns}
    seen: dict[str, int] = {}
    for number, row in sheet.rows:
        errors_before = len(result.errors)

        def value(key: str, row: tuple[Any, ...] = row) -> str:
            return cell_text(sheet.cell(row, mapping[key])) if key in mapping else ""

        def fail(key: str, message: str, number: int = number) -> None:
            column = sheet.header(mapping[key]) if key in mapping else ""
            result.errors.append(RowError(sheet.name, number, column, message))

        data = make(value)
        for key, reader in readers:
            if key in mapping:
                try:
                    setattr(data, key, reader(value(key)))
                except CellError as exc:
                    fail(key, str(exc))
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
            for key, message in check(data, current).items():
                fail(key if key in mapping else "", message)
        planned = plan(number, data, current)
        if current is not None:
            planned.changes = [labels.get(k, k) for k in changed_columns(current, normalize(data))]
        result.planned.append(planned)


def changed_columns(instance: Any, values: dict[str, Any]) -> list[str]:
    """The columns whose value ``values`` would change (one per class axis), as the services compare them."""
    changed = []
    for key, new in values.items():
        old = getattr(instance, key)
        if key == "classification":
            changed += [f"class_{k}" for k in sorted(set(old) | set(new)) if old.get(k) != new.get(k)]
        elif old != new:
            changed.append(key)
    return changed


def check_workbook(organization: Organization, path: Path) -> CheckResult:
    """The dry run. Raises ``RegisterFileError`` when the file as a whole cannot be used."""
    policy = active_policy(organization)
    columns = system_columns(policy)
    sheet, mapping, result = open_register(path, SYSTEMS_SHEET, columns)
    cells = Cells(organization, policy)
    existing = {
        s.code: s
        for s in InformationSystem.objects.filter(organization=organization).prefetch_related("software")
    }

    def make(value: Callable[[str], str]) -> SystemInput:
        data = SystemInput(code=fold(value("code")), name=value("name"))
        for key in ("purpose", "vendor", "vendor_contact", "location", "notes"):
            setattr(data, key, value(key))
        return data

    read_rows(
        sheet,
        mapping,
        columns,
        result,
        cells=cells,
        existing=existing,
        make=make,
        readers=[
            ("owner_department", cells.department),
            ("administrator", cells.person),
            ("operator", cells.person),
            ("segment", cells.segment),
            ("personal_data", parse_bool),
            ("personal_data_count", cells.count),
            ("in_use", parse_bool),
        ],
        check=lambda data, current: check_system(organization, policy, data, instance=current),
        normalize=normalized,
        plan=PlannedSystem,
    )
    if SOFTWARE_SHEET in sheet.names:
        _check_software(path, result, existing)
    return result


def _check_software(path: Path, result: CheckResult, existing: dict[str, InformationSystem]) -> None:
    sheet = read_named(path, SOFTWARE_SHEET, SOFTWARE_COLUMNS)
    mapping, ignored = column_mapping(sheet, SOFTWARE_COLUMNS)
    result.ignored_columns += [f"{SOFTWARE_SHEET}: {text}" for text in ignored]
    if "code" not in mapping or "product" not in mapping:
        result.errors.append(
            RowError(
                sheet.name,
                sheet.header_row,
                "",
                _("The sheet needs the columns 「管理番号」 and 「製品名」."),
            )
        )
        return
    plans = {plan.data.code: plan for plan in result.planned}
    for plan in plans.values():
        plan.software = []
    for number, row in sheet.rows:
        code = fold(cell_text(sheet.cell(row, mapping["code"])))
        found = plans.get(code)
        if found is None:
            result.errors.append(
                RowError(
                    sheet.name,
                    number,
                    sheet.header(mapping["code"]),
                    _("Register number “%(code)s” is not on the sheet 「%(sheet)s」.")
                    % {"code": code, "sheet": SYSTEMS_SHEET},
                )
            )
            continue
        found.software.append(
            SoftwareInput(
                *(
                    cell_text(sheet.cell(row, mapping[k])) if k in mapping else ""
                    for k in ("product", "version", "publisher")
                )
            )
        )
    for plan in plans.values():
        for problem in check_software(plan.software or []):
            result.errors.append(RowError(sheet.name, plan.row, "", f"{plan.data.code}: {problem}"))
        if plan.existing is not None:
            before = [(s.product, s.version, s.publisher) for s in plan.existing.software.all()]
            plan.software_changes = before != [
                (s.product.strip(), s.version.strip(), s.publisher.strip()) for s in plan.software or []
            ]
        else:
            plan.software_changes = bool(plan.software)


def import_workbook(organization: Organization, path: Path, *, actor: Any) -> CheckResult:
    """Check the file again and apply every row, or nothing. Raises ``Invalid`` listing the problems
    (nothing saved) or ``RegisterFileError``."""
    with transaction.atomic():
        result = check_workbook(organization, path)
        if result.errors:
            raise Invalid(_("The file has %(n)s problems; nothing was imported.") % {"n": len(result.errors)})
        for plan in result.planned:
            system = plan.existing
            if system is None:
                system = create_system(organization, actor=actor, data=plan.data)
            elif plan.changes:
                update_system(system, actor=actor, data=plan.data)
            if plan.software is not None and plan.software_changes:
                set_software(system, actor=actor, items=plan.software)
        record(
            actor=actor,
            action="systems.imported",
            object_type="assets.register",
            object_label=path.name,
            organization=organization,
            data=result.counts(),
        )
    return result

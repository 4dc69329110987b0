"""Importing people and their role assignments from a CSV file (an HR or Excel roster).

``import_people`` checks every row against the file itself and the database before anything is
written; a dry run stops there. A real import is all-or-nothing: one transaction, and any problem in
any row saves nothing. Each change goes through ``services`` and so is journaled one by one.
People created here get an unusable password; they are given one later (administration pages).
"""

import csv
import hashlib
import io
import unicodedata
from dataclasses import dataclass, field
from functools import partial
from typing import Any

from django.contrib.auth.validators import UnicodeUsernameValidator
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.db.models.functions import Lower
from django.utils.translation import gettext as _

from mamori.journal.services import record

from . import services
from .models import Assignment, Department, Organization, Role, User

MAX_BYTES = 2 * 1024 * 1024
MAX_ROWS = 5000
MAX_ORDER = 32767  # PositiveSmallIntegerField

COLUMNS = ("username", "display_name", "employee_number", "email", "phone", "department", "post", "roles")
# Headers as Japanese rosters write them, mapped to our column names.
ALIASES = {
    "ユーザー名": "username",
    "ユーザ名": "username",
    "氏名": "display_name",
    "表示名": "display_name",
    "職員番号": "employee_number",
    "メールアドレス": "email",
    "メール": "email",
    "電話番号": "phone",
    "電話": "phone",
    "所属": "department",
    "職": "post",
    "役職": "post",
    "役割": "roles",
}
# Lengths as the database stores them.
MAX_LENGTHS: dict[str, int] = {
    name: getattr(User._meta.get_field(name), "max_length", 0)
    for name in ("username", "display_name", "employee_number", "email", "phone", "post")
} | {"department": getattr(Department._meta.get_field("name"), "max_length", 0)}
# Codes, not names: full-width letters and digits typed in Excel are folded to ASCII.
FOLDED = ("username", "employee_number", "email", "roles")


class ImportFileError(Exception):
    """The file as a whole cannot be used (encoding, size, header). Nothing was saved."""

    def __init__(self, messages: list[str]):
        super().__init__("; ".join(messages))
        self.messages = messages


@dataclass
class RowError:
    row: int  # as Excel numbers it: the header is row 1
    column: str  # the header as written in the file
    message: str


@dataclass
class PlannedRow:
    row: int
    username: str
    display_name: str
    person: User | None  # the existing person this row updates (after an import: the person)
    is_new: bool = False
    fields: dict[str, str] = field(default_factory=dict)  # non-empty cells, by column name
    changes: list[str] = field(default_factory=list)  # fields an update will change
    new_department: bool = False
    roles: list[tuple[Role, int]] = field(default_factory=list)  # assignments to add

    @property
    def action(self) -> str:
        if self.is_new:
            return "create"
        return "update" if self.changes or self.roles else "unchanged"

    @property
    def change_labels(self) -> list[str]:
        return [str(getattr(User._meta.get_field(name), "verbose_name", name)) for name in self.changes]


@dataclass
class ImportResult:
    rows: list[PlannedRow]
    errors: list[RowError]
    dry_run: bool
    sha256: str
    new_departments: list[str]
    saved: bool = False

    def count(self, action: str) -> int:
        return sum(1 for r in self.rows if r.action == action)

    created = property(lambda self: self.count("create"))
    updated = property(lambda self: self.count("update"))
    unchanged = property(lambda self: self.count("unchanged"))

    @property
    def assignments(self) -> int:
        return sum(len(r.roles) for r in self.rows)


def decode(data: bytes) -> str:
    """UTF-8 (with or without BOM), else Shift_JIS/CP932, which Excel writes by default in Japan."""
    if len(data) > MAX_BYTES:
        raise ImportFileError(
            [_("The file is larger than %(size)s MB.") % {"size": MAX_BYTES // 1024 // 1024}]
        )
    for encoding in ("utf-8-sig", "cp932"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise ImportFileError(
        [_("The file is neither UTF-8 nor Shift_JIS (CP932). Save it from Excel as CSV and try again.")]
    )


def read_table(text: str) -> tuple[dict[str, str], list[tuple[int, dict[str, str]]]]:
    """The header (column name → header as written) and the non-blank rows with their numbers."""
    first_line = text.split("\n", 1)[0]
    delimiter = "\t" if "\t" in first_line and "," not in first_line else ","
    try:
        records = list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))
    except csv.Error as e:
        raise ImportFileError([_("The file could not be read as CSV: %(error)s") % {"error": e}]) from None
    if not records or not any(c.strip() for c in records[0]):
        raise ImportFileError([_("The first row must name the columns.")])
    problems: list[str] = []
    header: dict[str, str] = {}
    positions: list[str | None] = []
    for cell in records[0]:
        written = cell.strip()
        name = ALIASES.get(written) or written.lower().replace(" ", "_")
        if not written:
            positions.append(None)
        elif name not in COLUMNS:
            problems.append(
                _("Unknown column “%(name)s”. Known columns: %(known)s.")
                % {"name": written, "known": ", ".join(COLUMNS)}
            )
            positions.append(None)
        elif name in header:
            problems.append(_("The column “%(name)s” appears twice.") % {"name": written})
            positions.append(None)
        else:
            header[name] = written
            positions.append(name)
    if "username" not in header:
        problems.append(_("The column “username” (ユーザー名) is required."))
    rows: list[tuple[int, dict[str, str]]] = []
    for number, cells in enumerate(records[1:], start=2):
        if not any(c.strip() for c in cells):
            continue
        values: dict[str, str] = {}
        for column, cell in zip(positions, cells, strict=False):
            if column is not None:
                value = cell.strip()
                values[column] = unicodedata.normalize("NFKC", value) if column in FOLDED else value
        if len(cells) > len(positions) and any(c.strip() for c in cells[len(positions) :]):
            values["_extra"] = "1"
        rows.append((number, values))
    if len(rows) > MAX_ROWS:
        problems.append(
            _("The file has more than %(max)s rows; split it into smaller files.") % {"max": MAX_ROWS}
        )
    if problems:
        raise ImportFileError(problems)
    return header, rows


class _Checker:
    """Checks the rows of one file against each other and the database, building the plan."""

    def __init__(self, organization: Organization, header: dict[str, str]):
        self.organization = organization
        self.header = header
        self.errors: list[RowError] = []
        roles = list(Role.objects.filter(organization=organization, active=True))
        self.roles = {r.key.lower(): r for r in roles}
        titles: dict[str, list[Role]] = {}
        for r in roles:
            titles.setdefault(r.title, []).append(r)
        # A role may also be named by its title from the regulation, when that title is unambiguous.
        self.role_titles = {t: rs[0] for t, rs in titles.items() if len(rs) == 1}
        self.departments = set(
            Department.objects.filter(organization=organization).values_list("name", flat=True)
        )
        self.numbers: dict[str, str] = {}  # staff number → username, in the database
        self.taken: dict[int, dict[int, str]] = {}  # role → order → who (a username or "row n")
        self.held: dict[tuple[int, int], int] = {}  # (role, person) → order
        for a in Assignment.objects.filter(role__in=roles).select_related("person"):
            self.taken.setdefault(a.role_id, {})[a.order] = a.person.username
            self.held[(a.role_id, a.person_id)] = a.order

    def error(self, row: int, column: str, message: str, /, **params: Any) -> None:
        self.errors.append(
            RowError(row, self.header.get(column, column), message % params if params else message)
        )

    def check(self, rows: list[tuple[int, dict[str, str]]]) -> list[PlannedRow]:
        lowers = {v.get("username", "").lower() for _n, v in rows}
        existing: dict[str, list[User]] = {}
        for u in User.objects.annotate(lower=Lower("username")).filter(lower__in=lowers):
            existing.setdefault(u.username.lower(), []).append(u)
        numbers = {v["employee_number"] for _n, v in rows if v.get("employee_number")}
        self.numbers = dict(
            User.objects.filter(organization=self.organization, employee_number__in=numbers).values_list(
                "employee_number", "username"
            )
        )
        seen_usernames: dict[str, int] = {}
        seen_numbers: dict[str, int] = {}
        planned: list[PlannedRow] = []
        pending: list[tuple[PlannedRow, Role]] = []  # roles given without an order
        for number, values in rows:
            plan = self._row(number, values, existing, seen_usernames, seen_numbers, pending)
            if plan is not None:
                planned.append(plan)
        # Roles without an order join the end of the line, after every order given explicitly.
        for plan, role in pending:
            taken = self.taken.setdefault(role.pk, {})
            order = max(taken) + 1 if taken else 0
            taken[order] = _("row %(row)s") % {"row": plan.row}
            plan.roles.append((role, order))
        return planned

    def _row(
        self,
        number: int,
        values: dict[str, str],
        existing: dict[str, list[User]],
        seen_usernames: dict[str, int],
        seen_numbers: dict[str, int],
        pending: list[tuple[PlannedRow, Role]],
    ) -> PlannedRow | None:
        err = partial(self.error, number)
        if values.pop("_extra", None):
            err("", _("This row has more cells than the header has columns."))
        for name, limit in MAX_LENGTHS.items():
            if len(values.get(name, "")) > limit:
                err(name, _("At most %(max)s characters."), max=limit)
        username = values.get("username", "")
        if not username:
            err("username", _("The user name is missing."))
            return None
        try:
            UnicodeUsernameValidator()(username)
        except ValidationError:
            err("username", _("Only letters, digits and @ . + - _ may be used."))
        key = username.lower()
        if key in seen_usernames:
            err(
                "username",
                _("“%(username)s” is also in row %(row)s."),
                username=username,
                row=seen_usernames[key],
            )
            return None
        seen_usernames[key] = number
        person = None
        for other in existing.get(key, []):
            if other.username != username:
                err(
                    "username",
                    _("“%(other)s” already exists; user names may not differ only in upper and lower case."),
                    other=other.username,
                )
            elif other.organization_id != self.organization.pk:
                err("username", _("“%(username)s” belongs to another organisation."), username=username)
            else:
                person = other
        plan = PlannedRow(number, username, values.get("display_name", ""), person, is_new=person is None)
        plan.fields = {k: v for k, v in values.items() if v and k not in ("username", "roles")}
        if person is None and not plan.display_name:
            err("display_name", _("Required for a new person."))
        if person is not None:
            plan.display_name = plan.display_name or person.display_name
            plan.changes = [
                k for k, v in plan.fields.items() if k != "department" and getattr(person, k) != v
            ]
            department = plan.fields.get("department")
            if department and (person.department is None or person.department.name != department):
                plan.changes.append("department")
        staff_number = values.get("employee_number", "")
        if staff_number:
            holder = self.numbers.get(staff_number)
            if staff_number in seen_numbers:
                err(
                    "employee_number",
                    _("Staff number %(number)s is also in row %(row)s."),
                    number=staff_number,
                    row=seen_numbers[staff_number],
                )
            elif holder is not None and holder != username:
                err(
                    "employee_number",
                    _("Staff number %(number)s already belongs to %(username)s."),
                    number=staff_number,
                    username=holder,
                )
            seen_numbers[staff_number] = number
        email = values.get("email", "")
        if email:
            try:
                validate_email(email)
            except ValidationError:
                err("email", _("“%(email)s” is not a valid email address."), email=email)
        department = values.get("department", "")
        if department and department not in self.departments:
            plan.new_department = True
        self._roles(plan, values.get("roles", ""), pending)
        return plan

    def _roles(self, plan: PlannedRow, cell: str, pending: list[tuple[PlannedRow, Role]]) -> None:
        err = partial(self.error, plan.row, "roles")
        seen: set[int] = set()
        for item in (i.strip() for i in cell.split(";")):
            if not item:
                continue
            name, _sep, order_text = item.partition(":")
            name, order_text = name.strip(), order_text.strip()
            role = self.roles.get(name.lower()) or self.role_titles.get(name)
            if role is None:
                err(
                    _("Unknown role “%(role)s”. Roles of the policy: %(known)s."),
                    role=name,
                    known=", ".join(r.key for r in self.roles.values()),
                )
                continue
            order: int | None = None
            if order_text:
                if not order_text.isdigit() or int(order_text) > MAX_ORDER:
                    err(
                        _("“%(item)s”: the order must be a whole number (0 = holder, 1… = deputies)."),
                        item=item,
                    )
                    continue
                order = int(order_text)
            if role.pk in seen:
                err(_("%(role)s is listed twice."), role=role.key)
                continue
            seen.add(role.pk)
            held = self.held.get((role.pk, plan.person.pk)) if plan.person else None
            if held is not None:
                if order is not None and order != held:
                    err(
                        _(
                            "%(username)s already holds %(role)s as number %(held)s; change it in the administration pages."
                        ),
                        username=plan.username,
                        role=role.key,
                        held=held,
                    )
                continue
            if order is None:
                pending.append((plan, role))
                continue
            taken = self.taken.setdefault(role.pk, {})
            if order in taken:
                err(
                    _("Number %(order)s of %(role)s is already taken by %(who)s."),
                    order=order,
                    role=role.key,
                    who=taken[order],
                )
                continue
            taken[order] = _("row %(row)s") % {"row": plan.row}
            plan.roles.append((role, order))


def import_people(
    organization: Organization, data: bytes | str, *, actor: Any, dry_run: bool
) -> ImportResult:
    """Check a people CSV and, unless ``dry_run`` or a row has an error, import it all at once.

    Raises ``ImportFileError`` when the file as a whole is unusable. Row problems are returned in
    ``ImportResult.errors``; then nothing is saved.
    """
    text = data if isinstance(data, str) else decode(data)
    header, rows = read_table(text)
    digest = hashlib.sha256(text.encode("utf-8")).hexdigest()
    try:
        with transaction.atomic():
            checker = _Checker(organization, header)
            planned = checker.check(rows)
            new_departments = sorted({p.fields["department"] for p in planned if p.new_department})
            result = ImportResult(planned, checker.errors, dry_run, digest, new_departments)
            if checker.errors or dry_run:
                return result
            _apply(organization, result, actor=actor)
    except IntegrityError:
        # Someone changed the same people between the check and the write; the transaction is undone.
        raise ImportFileError(
            [_("The people changed while importing; nothing was saved. Please try again.")]
        ) from None
    result.saved = True
    return result


def _apply(organization: Organization, result: ImportResult, *, actor: Any) -> None:
    departments = {d.name: d for d in Department.objects.filter(organization=organization)}
    for name in result.new_departments:
        departments[name] = services.create_department(organization, actor=actor, name=name)
    for plan in result.rows:
        values: dict[str, Any] = dict(plan.fields)
        if "department" in values:
            values["department"] = departments[values["department"]]
        if plan.person is None:
            plan.person = services.create_person(
                organization, actor=actor, password=None, username=plan.username, **values
            )
        elif plan.changes:
            services.update_person(plan.person, actor=actor, **{k: values[k] for k in plan.changes})
        for role, order in plan.roles:
            services.assign_role(role, plan.person, actor=actor, order=order)
    record(
        actor=actor,
        action="people.imported",
        object_type="people.import",
        object_id=result.sha256,
        organization=organization,
        data={
            "rows": len(result.rows),
            "created": result.created,
            "updated": result.updated,
            "assignments": result.assignments,
            "departments_created": result.new_departments,
        },
    )

"""Bringing past incidents into the register from the Excel register an organisation kept before.

``check_sheet`` reads every row of the sheet with the column mapping the person chose and checks it
against the file itself, the policy and the database; nothing is written (the dry run).
``import_incidents`` checks the rows again inside its transaction and creates them all, or nothing
if any row is wrong. Imported incidents are history: they are closed (or not incidents), carry the
organisation's active policy version, and page nobody, list no obligations and owe no outside report.

References: a reference given in the file is kept (at most 20 characters, unique in the organisation
and in the file). When it has the organisation's own form for a fiscal year (R8-0012), that year's
counter is raised to at least its number, so that the next report never gets the same reference.
Rows without one get the next number of the fiscal year they were received in, in the order received.
"""

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from mamori import wareki
from mamori.intake.models import Report
from mamori.journal.services import record
from mamori.people.models import Organization, User
from mamori.policy.schema import PolicyDocument
from mamori.policy.services import active_policy, active_version, document_of

from . import access, search
from .choices import PublicationDecision, State
from .editing import MAX_TEXT
from .errors import Invalid
from .models import Incident, ReferenceCounter
from .register_cells import CellError, cell_text, fold, in_future, parse_bool, parse_moment
from .register_sheet import Sheet

PAST_STATES = (State.CLOSED, State.NOT_INCIDENT)
TEXT_FIELDS = ("summary", "affected_systems", "root_cause", "prevention_measures")
BOOLEAN_FIELDS = ("personal_data", "is_drill", "restricted")
LATER_DATES = ("triaged_at", "contained_at", "closed_at")
REFERENCE_RE = re.compile(r"^(?P<letter>[A-Z])(?P<year>\d{1,3})-(?P<number>\d{4,7})$")
TITLE_MAX = Incident._meta.get_field("title").max_length or 200
REFERENCE_MAX = Incident._meta.get_field("reference").max_length or 20


@dataclass
class RowError:
    row: int  # as Excel numbers it
    column: str  # the header as written in the file (or the column letter)
    message: str

    def __str__(self) -> str:
        if not self.column:
            return _("Row %(row)s: %(message)s") % {"row": self.row, "message": self.message}
        return _("Row %(row)s “%(column)s”: %(message)s") % {
            "row": self.row,
            "column": self.column,
            "message": self.message,
        }


@dataclass
class RegisterRow:
    """One incident to import, with values already read from the cells."""

    row: int
    columns: dict[str, str]  # field → the header of the column it came from
    title: str = ""
    opened_at: datetime | None = None
    reference: str = ""  # as given in the file; "" = a new number from the counter
    state: str = State.CLOSED
    category: str = ""
    level: int | None = None
    triaged_at: datetime | None = None
    contained_at: datetime | None = None
    closed_at: datetime | None = None
    handler: User | None = None
    personal_data: bool = False
    is_drill: bool = False
    restricted: bool = False
    summary: str = ""
    affected_systems: str = ""
    root_cause: str = ""
    prevention_measures: str = ""
    publication_decision: str = ""
    unreadable: set[str] = field(default_factory=set)  # fields whose cell could not be read
    new_reference: str = ""  # the number this row gets (a preview in the dry run)

    @property
    def fiscal_year(self) -> int | None:
        return wareki.fiscal_year(self.opened_at) if self.opened_at else None

    @property
    def final_reference(self) -> str:
        return self.reference or self.new_reference

    def state_label(self) -> str:
        return str(State(self.state).label)


@dataclass
class CheckResult:
    rows: list[RegisterRow]
    errors: list[RowError]

    @property
    def ok(self) -> bool:
        return bool(self.rows) and not self.errors


class RegisterRowsInvalid(Invalid):
    """Some rows cannot be imported; ``errors`` names each. Nothing was saved."""

    def __init__(self, errors: list[RowError]):
        super().__init__(_("Some rows cannot be imported; nothing was saved."))
        self.errors = errors


# --- reading the rows -------------------------------------------------------------------------------


def _labels(choices: Any) -> dict[str, str]:
    """Each label, in the person's language, Japanese and English, and each key → the key."""
    found: dict[str, str] = {}

    def add() -> None:
        for key, label in choices:
            if key:
                found[fold(str(label)).casefold()] = key

    add()
    for language in ("ja", "en"):
        with translation.override(language):
            add()
    for key, _label in choices:
        if key:
            found[key.casefold()] = key
    return found


def _publication_message() -> str:
    return _("Write “%(publish)s” or “%(not_publish)s”, or leave it empty.") % {
        "publish": PublicationDecision.PUBLISH.label,
        "not_publish": PublicationDecision.NOT_PUBLISH.label,
    }


def _past_states_message() -> str:
    return _("Only past incidents can be imported: the state must be “%(closed)s” or “%(not_incident)s”.") % {
        "closed": State.CLOSED.label,
        "not_incident": State.NOT_INCIDENT.label,
    }


class _Reader:
    """Reads the cells of one sheet into ``RegisterRow``s, collecting what cannot be read."""

    def __init__(
        self, organization: Organization, policy: PolicyDocument, sheet: Sheet, mapping: dict[str, str]
    ):
        self.sheet = sheet
        self.mapping = {k: v for k, v in mapping.items() if v}
        self.columns = {k: sheet.header(v) for k, v in self.mapping.items()}
        self.errors: list[RowError] = []
        self.states = _labels(State.choices)
        self.publication = _labels(PublicationDecision.choices)
        self.categories = {c.key.casefold(): c.key for c in policy.categories} | {
            fold(c.label).casefold(): c.key for c in policy.categories
        }
        self.levels = {str(lv.value): lv.value for lv in policy.levels} | {
            fold(lv.label).casefold(): lv.value for lv in policy.levels
        }
        self.level_names = "、".join(lv.label for lv in policy.levels)
        self.category_names = "、".join(c.label for c in policy.categories)
        people = list(
            User.objects.filter(organization=organization).only(
                "pk", "username", "display_name", "organization_id"
            )
        )
        self.usernames = {p.username.casefold(): p for p in people}
        self.display_names: dict[str, list[User]] = {}
        for p in people:
            if p.display_name:
                self.display_names.setdefault(_name_key(p.display_name), []).append(p)

    def error(self, row: int, key: str, message: str) -> None:
        self.errors.append(RowError(row, self.columns.get(key, ""), message))

    def read(self) -> list[RegisterRow]:
        return [self._row(number, cells) for number, cells in self.sheet.rows]

    def _row(self, number: int, cells: tuple[Any, ...]) -> RegisterRow:
        row = RegisterRow(number, self.columns)
        for key, letter in self.mapping.items():
            value = self.sheet.cell(cells, letter)
            try:
                self._set(row, key, value)
            except CellError as e:
                row.unreadable.add(key)
                self.error(number, key, str(e))
        return row

    def _set(self, row: RegisterRow, key: str, value: Any) -> None:
        if key in ("opened_at", *LATER_DATES):
            setattr(row, key, parse_moment(value))
        elif key in BOOLEAN_FIELDS:
            setattr(row, key, parse_bool(value))
        elif key == "reference":
            row.reference = fold(cell_text(value))
        elif key == "title":
            row.title = cell_text(value)
        elif key in TEXT_FIELDS:
            setattr(row, key, cell_text(value))
        elif key == "state":
            text = fold(cell_text(value)).casefold()
            if text:
                if text not in self.states:
                    raise CellError(_past_states_message())
                row.state = self.states[text]
        elif key == "category":
            text = fold(cell_text(value)).casefold()
            if text:
                if text not in self.categories:
                    raise CellError(
                        _("Not a category of the policy (%(known)s).") % {"known": self.category_names}
                    )
                row.category = self.categories[text]
        elif key == "level":
            text = fold(cell_text(value)).casefold()
            if text:
                if text not in self.levels:
                    raise CellError(_("Not a level of the policy (%(known)s).") % {"known": self.level_names})
                row.level = self.levels[text]
        elif key == "handler":
            row.handler = self._person(cell_text(value))
        elif key == "publication_decision":
            text = fold(cell_text(value)).casefold()
            if text in self.publication:
                row.publication_decision = self.publication[text]
            elif text:
                try:
                    row.publication_decision = "publish" if parse_bool(text) else "not_publish"
                except CellError:
                    raise CellError(_publication_message()) from None

    def _person(self, text: str) -> User | None:
        if not text:
            return None
        person = self.usernames.get(fold(text).casefold())
        if person is not None:
            return person
        named = self.display_names.get(_name_key(text), [])
        if len(named) == 1:
            return named[0]
        if named:
            raise CellError(
                _("Several people are called “%(name)s”; write the user name instead.") % {"name": text}
            )
        raise CellError(_("Nobody of the organisation has this name or user name."))


def _name_key(name: str) -> str:
    # 山田 太郎 and 山田　太郎 are one person.
    return re.sub(r"\s+", "", fold(name)).casefold()


def check_sheet(organization: Organization, sheet: Sheet, mapping: dict[str, str]) -> CheckResult:
    """The dry run: read and check every row; write nothing. ``result.rows`` carry the references
    they would get now (``new_reference``); the import hands them out again under lock."""
    policy = active_policy(organization)
    reader = _Reader(organization, policy, sheet, mapping)
    rows = reader.read()
    errors = reader.errors + validate_rows(organization, rows, policy)
    if not rows:
        errors.append(RowError(sheet.header_row, "", _("There are no rows below the header row.")))
    if not errors:
        plan_references(organization, rows, lock=False)
    errors.sort(key=lambda e: e.row)
    return CheckResult(rows, errors)


# --- the rules ----------------------------------------------------------------------------------------


def validate_rows(
    organization: Organization, rows: Sequence[RegisterRow], policy: PolicyDocument
) -> list[RowError]:
    """Everything a row must satisfy, checked in the dry run and again inside the import's transaction."""
    errors: list[RowError] = []
    categories = {c.key for c in policy.categories}
    levels = {lv.value for lv in policy.levels}
    seen: dict[str, int] = {}
    given = [r.reference for r in rows if r.reference]
    taken = _taken(organization, given)
    for r in rows:

        def err(key: str, message: str, r: RegisterRow = r) -> None:
            errors.append(RowError(r.row, r.columns.get(key, ""), message))

        if not r.title and "title" not in r.unreadable:
            err("title", _("The title is required."))
        elif len(r.title) > TITLE_MAX:
            err("title", _("At most %(max)s characters.") % {"max": TITLE_MAX})
        if r.opened_at is None and "opened_at" not in r.unreadable:
            err("opened_at", _("The date and time received is required."))
        for key in ("opened_at", *LATER_DATES):
            moment = getattr(r, key)
            if moment is None:
                continue
            if in_future(moment):
                err(key, _("This is in the future; only past incidents can be imported."))
            elif key != "opened_at" and r.opened_at and moment < r.opened_at:
                err(key, _("This is before the date and time received."))
        if r.state not in PAST_STATES:
            err("state", _past_states_message())
        if r.category and r.category not in categories:
            err("category", _("Not a category of the policy."))
        if r.level is not None and r.level not in levels:
            err("level", _("Not a level of the policy."))
        if r.handler is not None and r.handler.organization_id != organization.pk:
            err("handler", _("Nobody of the organisation has this name or user name."))
        if r.publication_decision not in PublicationDecision.values:
            err("publication_decision", _publication_message())
        for key in TEXT_FIELDS:
            if len(getattr(r, key)) > MAX_TEXT:
                err(key, _("At most %(max)s characters.") % {"max": MAX_TEXT})
        if r.reference:
            if len(r.reference) > REFERENCE_MAX:
                err("reference", _("At most %(max)s characters.") % {"max": REFERENCE_MAX})
            elif r.reference in seen:
                err("reference", _("The same reference is in row %(row)s.") % {"row": seen[r.reference]})
            elif r.reference in taken:
                err("reference", _("An incident or report of the organisation already has this reference."))
            seen.setdefault(r.reference, r.row)
    return errors


def _taken(organization: Organization, references: Sequence[str]) -> set[str]:
    """Which of ``references`` an incident or a report of the organisation already has."""
    if not references:
        return set()
    found: set[str] = set()
    chunk = 500  # SQLite limits the parameters of one query
    for start in range(0, len(references), chunk):
        part = list(references[start : start + chunk])
        found.update(
            Incident.objects.filter(organization=organization, reference__in=part).values_list(
                "reference", flat=True
            )
        )
        found.update(
            Report.objects.filter(organization=organization, reference__in=part).values_list(
                "reference", flat=True
            )
        )
    return found


def counter_year(reference: str) -> tuple[int, int] | None:
    """(fiscal year, number) when ``reference`` has the form Mamori hands out (R8-0012), else None."""
    match = REFERENCE_RE.match(reference)
    if match is None:
        return None
    era = next((e for e in wareki.ERAS if e.letter == match["letter"]), None)
    if era is None:
        return None
    fy = era.starts.year + int(match["year"]) - 1
    number = int(match["number"])
    if reference != f"{wareki.reference_prefix(fy)}-{number:04d}":
        return None  # e.g. H31-0001: fiscal 2019 is 令和元年度, Mamori never wrote it so
    return fy, number


def plan_references(organization: Organization, rows: Sequence[RegisterRow], *, lock: bool) -> dict[int, int]:
    """Number the rows without a reference and return fiscal year → the counter's new last number.

    With ``lock`` (the import) the counters are locked and created as needed; without (the dry run)
    they are only read, so the numbers shown are a preview.
    """
    years = {r.fiscal_year for r in rows if r.fiscal_year is not None}
    raised: dict[int, int] = {}
    for r in rows:
        found = counter_year(r.reference) if r.reference else None
        if found:
            years.add(found[0])
            raised[found[0]] = max(raised.get(found[0], 0), found[1])
    counters: dict[int, int] = {}
    for fy in sorted(years):
        if lock:
            counter, _created = ReferenceCounter.objects.select_for_update().get_or_create(
                organization=organization, fiscal_year=fy
            )
            counters[fy] = counter.last_number
        else:
            counters[fy] = (
                ReferenceCounter.objects.filter(organization=organization, fiscal_year=fy)
                .values_list("last_number", flat=True)
                .first()
            ) or 0
    for fy, number in raised.items():
        counters[fy] = max(counters[fy], number)
    new = sorted((r for r in rows if not r.reference and r.opened_at), key=lambda r: (r.opened_at, r.row))
    for _attempt in range(10):
        last = dict(counters)
        for r in new:
            fy = wareki.fiscal_year(r.opened_at)  # type: ignore[arg-type]
            last[fy] += 1
            r.new_reference = f"{wareki.reference_prefix(fy)}-{last[fy]:04d}"
        clashes = _taken(organization, [r.new_reference for r in new])
        if not clashes:
            return last
        # Numbers already used outside the counter (cannot happen in normal operation): skip past them.
        for ref in clashes:
            found = counter_year(ref)
            if found:
                counters[found[0]] = max(counters[found[0]], found[1])
    raise Invalid(_("No free reference numbers were found; nothing was saved."))


# --- the service --------------------------------------------------------------------------------------


def import_incidents(
    organization: Organization,
    *,
    actor: Any,
    rows: Sequence[RegisterRow],
    file_name: str = "",
    sha256: str = "",
) -> list[Incident]:
    """Create the past incidents of ``rows`` in one transaction, or none if any row is invalid.

    The regulations ask for the record of incidents to be kept (tatebayashi 対策基準 5.3(3)④: the CSIRT
    keeps the record of causes; edogawa 基準第10条第4項: the record kept for preventing recurrence);
    bringing the register kept before into Mamori keeps that record in one place.
    Each incident gets one ``incident.imported`` journal entry and the import one ``register.imported``.
    Raises ``RegisterRowsInvalid`` (with every row error) or ``Invalid``; nothing is then saved.
    """
    access.require(actor, "import_register", organization.pk)
    if not rows:
        raise Invalid(_("There are no rows to import."))
    try:
        with transaction.atomic():
            version = active_version(organization)
            errors = validate_rows(organization, rows, document_of(version))
            if errors:
                raise RegisterRowsInvalid(sorted(errors, key=lambda e: e.row))
            counters = plan_references(organization, rows, lock=True)
            for fy, last in counters.items():
                ReferenceCounter.objects.filter(
                    organization=organization, fiscal_year=fy, last_number__lt=last
                ).update(last_number=last)
            incidents = _create(organization, version, rows)
            search.reindex_many(incidents)
            for r, incident in zip(rows, incidents, strict=True):
                record(
                    actor=actor,
                    action="incident.imported",
                    obj=incident,
                    organization=organization,
                    data={
                        "row": r.row,
                        "reference": incident.reference,
                        "reference_from_file": bool(r.reference),
                        "fiscal_year": incident.fiscal_year,
                        "state": incident.state,
                        "file_sha256": sha256,
                    },
                )
            record(
                actor=actor,
                action="register.imported",
                object_type="incidents.register_import",
                object_id=sha256,
                object_label=file_name[:200],
                organization=organization,
                data={
                    "file_name": file_name,
                    "sha256": sha256,
                    "incidents": len(incidents),
                    "fiscal_years": sorted({i.fiscal_year for i in incidents}),
                    "counters": {str(fy): last for fy, last in sorted(counters.items())},
                },
            )
    except IntegrityError:
        # A report took one of the references between the check and the write; all was undone.
        raise Invalid(
            _("The register changed while importing; nothing was saved. Please try again.")
        ) from None
    return incidents


def _create(organization: Organization, version: Any, rows: Sequence[RegisterRow]) -> list[Incident]:
    now = timezone.now()
    if any(r.opened_at is None for r in rows):  # validate_rows refused these already
        raise Invalid(_("The date and time received is required."))
    incidents = [
        Incident(
            organization=organization,
            reference=r.final_reference,
            fiscal_year=wareki.fiscal_year(r.opened_at),  # type: ignore[arg-type]
            title=r.title,
            state=r.state,
            category=r.category,
            level=r.level,
            handler=r.handler,
            policy=version,
            affected_systems=r.affected_systems,
            is_drill=r.is_drill,
            personal_data=r.personal_data,
            restricted=r.restricted,
            summary=r.summary,
            root_cause=r.root_cause,
            prevention_measures=r.prevention_measures,
            publication_decision=r.publication_decision,
            opened_at=r.opened_at,  # type: ignore[misc]
            triaged_at=r.triaged_at,
            contained_at=r.contained_at,
            closed_at=r.closed_at,
            updated_at=now,
        )
        for r in rows
    ]
    created = Incident.objects.bulk_create(incidents, batch_size=500)
    if any(i.pk is None for i in created):  # databases that cannot return ids from a bulk insert
        ids = dict(
            Incident.objects.filter(
                organization=organization, reference__in=[i.reference for i in created]
            ).values_list("reference", "pk")
        )
        for i in created:
            i.pk = ids[i.reference]
    return created

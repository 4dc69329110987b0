"""The incident register (インシデント台帳) as an Excel workbook: one row per incident.

Committees and auditors read the register in Excel (DESIGN.md), so the export is a real .xlsx with
dates as Excel dates, not text. The columns, in this order (headers in the reader's language; in
Japanese as below). "Imported" says whether ``register_import`` reads the column back:

==================  ==============================================================  ========
header              contents                                                        imported
==================  ==============================================================  ========
整理番号            ``reference`` (R8-0012)                                         yes
年度                fiscal year, 令和8年度 or 2026年度 by the reader's date style     no (from 受付日時)
件名                ``title``                                                       yes
状態                state label (収束, インシデント非該当, …)                          yes
分類                category label of the incident's own policy version             yes
レベル              level label of the incident's own policy version (レベル3)      yes
受付日時            ``opened_at``                                                    yes
評価日時            ``triaged_at``                                                   yes
封じ込め日時        ``contained_at``                                                 yes
収束日時            ``closed_at``                                                    yes
担当者              the handler's display name (else user name)                     yes
受付経路            channel of the first report (電話, 職員用フォーム, …)             no
個人情報            personal data involved: はい / いいえ                             yes
訓練                a drill: はい / いいえ                                            yes
閲覧制限            restricted (need-to-know): はい / いいえ                          yes
概要                ``summary``                                                      yes
影響を受けたシステム ``affected_systems``                                             yes
原因                ``root_cause``                                                   yes
再発防止策          ``prevention_measures``                                          yes
公表                publication decision (公表する / 公表しない / empty)              yes
==================  ==============================================================  ========

Dates are naive Excel datetimes in the site's time zone (Asia/Tokyo), formatted ``yyyy/mm/dd hh:mm``.
Rows are in the order the incidents were received (a register reads top to bottom).

The workbook is built in openpyxl's write-only mode into a temporary file, from ``values_list`` rows
read in chunks: no model instances, two correlated columns (handler name, first channel) computed by
the database, so memory stays flat and the number of queries does not grow with the rows.
"""

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime, tzinfo
from typing import IO, TYPE_CHECKING, Any

from django.db.models import F, OuterRef, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce, NullIf
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import pgettext, pgettext_lazy
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter
from openpyxl.worksheet._write_only import WriteOnlyWorksheet

from mamori import wareki
from mamori.intake.choices import Channel
from mamori.intake.models import Report
from mamori.policy.models import PolicyVersion
from mamori.policy.schema import PolicyDocument
from mamori.policy.services import document_of

from .choices import PublicationDecision, State
from .models import Incident

if TYPE_CHECKING:
    from django.utils.functional import _StrPromise as StrPromise

XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
DATETIME_FORMAT = "yyyy/mm/dd hh:mm"
EXCEL_MAX_CHARS = 32767  # what one Excel cell holds; longer text is cut there
CHUNK_SIZE = 2000


@dataclass(frozen=True)
class Column:
    key: str  # the Incident field, or what the column shows
    label: "StrPromise"
    width: int
    importable: bool = True


COLUMNS: tuple[Column, ...] = (
    Column("reference", pgettext_lazy("register column", "Reference"), 12),
    Column("fiscal_year", pgettext_lazy("register column", "Fiscal year"), 12, importable=False),
    Column("title", pgettext_lazy("register column", "Title"), 40),
    Column("state", pgettext_lazy("register column", "State"), 16),
    Column("category", pgettext_lazy("register column", "Category"), 24),
    Column("level", pgettext_lazy("register column", "Level"), 10),
    Column("opened_at", pgettext_lazy("register column", "Received at"), 17),
    Column("triaged_at", pgettext_lazy("register column", "Assessed at"), 17),
    Column("contained_at", pgettext_lazy("register column", "Contained at"), 17),
    Column("closed_at", pgettext_lazy("register column", "Closed at"), 17),
    Column("handler", pgettext_lazy("register column", "Handler"), 16),
    Column("channel", pgettext_lazy("register column", "Received through"), 18, importable=False),
    Column("personal_data", pgettext_lazy("register column", "Personal data"), 10),
    Column("is_drill", pgettext_lazy("register column", "Drill"), 8),
    Column("restricted", pgettext_lazy("register column", "Restricted"), 10),
    Column("summary", pgettext_lazy("register column", "Summary"), 50),
    Column("affected_systems", pgettext_lazy("register column", "Affected systems"), 30),
    Column("root_cause", pgettext_lazy("register column", "Root cause"), 40),
    Column("prevention_measures", pgettext_lazy("register column", "Recurrence prevention"), 40),
    Column("publication_decision", pgettext_lazy("register column", "Publication"), 12),
)

DATE_KEYS = ("opened_at", "triaged_at", "contained_at", "closed_at")
BOOLEAN_KEYS = ("personal_data", "is_drill", "restricted")


def yes_no(value: bool) -> str:
    return pgettext("register value", "Yes") if value else pgettext("register value", "No")


def register_rows(qs: QuerySet[Incident]) -> Iterator[tuple[Any, ...]]:
    """The export's rows, read in chunks: one tuple per incident, in the order of ``_FIELDS``."""
    first_channel = (
        Report.objects.filter(incident=OuterRef("pk")).order_by("received_at", "pk").values("channel")[:1]
    )
    return (
        qs.annotate(
            register_handler=Coalesce(NullIf(F("handler__display_name"), Value("")), F("handler__username")),
            register_channel=Subquery(first_channel),
        )
        .order_by("opened_at", "pk")
        .values_list(*_FIELDS)
        .iterator(chunk_size=CHUNK_SIZE)
    )


_FIELDS = (
    "reference",
    "fiscal_year",
    "title",
    "state",
    "category",
    "level",
    "opened_at",
    "triaged_at",
    "contained_at",
    "closed_at",
    "register_handler",
    "register_channel",
    "personal_data",
    "is_drill",
    "restricted",
    "summary",
    "affected_systems",
    "root_cause",
    "prevention_measures",
    "publication_decision",
    "policy_id",
)


class PolicyLabels:
    """Category and level labels as each incident's own policy version wrote them.

    The organisation's versions are listed with one query; each document is parsed once per process
    (``document_of``), so the number of queries depends on the policy versions, never on the rows.
    """

    def __init__(self, organization_id: int):
        self._versions = {
            v.pk: v
            for v in PolicyVersion.objects.filter(organization_id=organization_id).defer("text", "document")
        }
        self._categories: dict[int, dict[str, str]] = {}
        self._levels: dict[int, dict[int, str]] = {}

    def _load(self, policy_id: int) -> None:
        version = self._versions.get(policy_id)
        doc: PolicyDocument | None = document_of(version) if version is not None else None
        self._categories[policy_id] = {c.key: c.label for c in doc.categories} if doc else {}
        self._levels[policy_id] = {lv.value: lv.label for lv in doc.levels} if doc else {}

    def category(self, policy_id: int, key: str) -> str:
        if policy_id not in self._categories:
            self._load(policy_id)
        return self._categories[policy_id].get(key, key)

    def level(self, policy_id: int, value: int | None) -> str:
        if value is None:
            return ""
        if policy_id not in self._levels:
            self._load(policy_id)
        return self._levels[policy_id].get(value, str(value))


class _RowWriter:
    """Turns one ``register_rows`` tuple into the cells of one worksheet row."""

    def __init__(self, ws: WriteOnlyWorksheet, labels: PolicyLabels, date_style: str, zone: tzinfo):
        self.ws = ws
        self.labels = labels
        self.zone = zone
        self.states = {key: str(label) for key, label in State.choices}
        self.channels = {key: str(label) for key, label in Channel.choices}
        self.publication = {key: str(label) for key, label in PublicationDecision.choices if key}
        self.yes, self.no = yes_no(True), yes_no(False)
        self.years: dict[int, str] = {}
        self.date_style = date_style

    def text(self, value: str | None) -> Any:
        if not value:
            return None
        # Characters XML cannot hold (control characters from mail intake) would abort the file.
        value = ILLEGAL_CHARACTERS_RE.sub("", value)[:EXCEL_MAX_CHARS]
        if value.startswith("="):
            # Stored as text, never as a formula: titles come from outside reporters.
            cell = WriteOnlyCell(self.ws, value)
            cell.data_type = "s"
            return cell
        return value

    def moment(self, value: datetime | None) -> Any:
        if value is None:
            return None
        cell = WriteOnlyCell(self.ws, value.astimezone(self.zone).replace(tzinfo=None))
        cell.number_format = DATETIME_FORMAT
        return cell

    def year(self, fy: int) -> str:
        label = self.years.get(fy)
        if label is None:
            label = self.years[fy] = wareki.fiscal_year_label(fy, self.date_style)
        return label

    def cells(self, row: tuple[Any, ...]) -> list[Any]:
        (
            reference,
            fiscal_year,
            title,
            state,
            category,
            level,
            opened_at,
            triaged_at,
            contained_at,
            closed_at,
            handler,
            channel,
            personal_data,
            is_drill,
            restricted,
            summary,
            affected_systems,
            root_cause,
            prevention_measures,
            publication,
            policy_id,
        ) = row
        return [
            self.text(reference),
            self.year(fiscal_year),
            self.text(title),
            self.states.get(state, state),
            self.text(self.labels.category(policy_id, category)) if category else None,
            self.text(self.labels.level(policy_id, level)),
            self.moment(opened_at),
            self.moment(triaged_at),
            self.moment(contained_at),
            self.moment(closed_at),
            self.text(handler),
            self.channels.get(channel, channel) if channel else None,
            self.yes if personal_data else self.no,
            self.yes if is_drill else self.no,
            self.yes if restricted else self.no,
            self.text(summary),
            self.text(affected_systems),
            self.text(root_cause),
            self.text(prevention_measures),
            self.publication.get(publication) if publication else None,
        ]


def write_register(
    rows: Iterable[tuple[Any, ...]], out: IO[bytes], *, labels: PolicyLabels, date_style: str
) -> int:
    """Write the register workbook to ``out`` (a binary file opened for writing); return the row count."""
    wb = Workbook(write_only=True)
    ws: Any = wb.create_sheet(title=_("Incident register")[:31])
    for number, column in enumerate(COLUMNS, start=1):
        ws.column_dimensions[get_column_letter(number)].width = column.width
    ws.freeze_panes = "A2"
    bold = Font(bold=True)
    header = []
    for column in COLUMNS:
        cell = WriteOnlyCell(ws, str(column.label))
        cell.font = bold
        cell.alignment = Alignment(wrap_text=True, vertical="top")
        header.append(cell)
    ws.append(header)
    writer = _RowWriter(ws, labels, date_style, timezone.get_default_timezone())
    count = 0
    for row in rows:
        ws.append(writer.cells(row))
        count += 1
    ws.auto_filter.ref = f"A1:{get_column_letter(len(COLUMNS))}{count + 1}"
    wb.save(out)
    return count


def register_file_name(organization_name: str, fiscal_year_label: str, day: Any) -> str:
    """インシデント台帳_狛江市_令和8年度_20261122.xlsx (the fiscal year only when the list was filtered by one)."""
    parts = [_("Incident register"), organization_name, fiscal_year_label, f"{day:%Y%m%d}"]
    name = "_".join(p for p in parts if p)
    # Characters Windows does not allow in file names.
    return "".join("_" if c in '\\/:*?"<>|' else c for c in name) + ".xlsx"

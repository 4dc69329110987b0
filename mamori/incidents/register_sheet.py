"""Reading an uploaded register workbook (.xlsx): which sheet, which row holds the headers, the rows.

Registers kept by hand often start with a title row (令和6年度 インシデント管理台帳) above the
headers, so the header row is found by looking for known column names in the first rows; the person
can choose another sheet or header row on the mapping page. The file is checked before openpyxl
opens it (a zip of reasonable unpacked size holding a workbook), and read in read-only mode, so a
large or hostile file cannot take the server's memory.
"""

import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.utils import translation
from django.utils.translation import gettext as _
from openpyxl import load_workbook
from openpyxl.utils import get_column_letter

from .register_cells import header_key
from .register_export import COLUMNS

MAX_BYTES = 10 * 1024 * 1024
MAX_UNPACKED_BYTES = 200 * 1024 * 1024  # a 10 MB workbook of text unpacks to well under this
MAX_ROWS = 5000
MAX_COLUMNS = 60
HEADER_SEARCH_ROWS = 20
MAX_HEADER_ROW = 50
MAX_BLANK_RUN = 1000  # rows formatted but empty at the end of a sheet are not read one by one
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"

# Headers as registers kept in Japan write them, by the Mamori field they fill; earlier names win
# when a sheet has more than one (受付日時 before 発生日時).
ALIASES: dict[str, tuple[str, ...]] = {
    "reference": ("整理番号", "管理番号", "受付番号", "インシデント番号", "番号", "通番", "No", "No.", "NO"),
    "title": ("件名", "事案名", "インシデント名", "標題", "表題", "タイトル"),
    "state": ("状態", "状況", "対応状況", "ステータス"),
    "category": ("分類", "種別", "区分", "カテゴリ", "カテゴリー"),
    "level": ("レベル", "重要度", "深刻度", "影響度"),
    "opened_at": ("受付日時", "受付日", "報告日時", "報告日", "認知日時", "認知日", "発生日時", "発生日"),
    "triaged_at": ("評価日時", "評価日", "判定日時", "判定日", "トリアージ日時"),
    "contained_at": ("封じ込め日時", "封じ込め日", "封じ込日"),
    "closed_at": ("収束日時", "収束日", "終結日", "完了日", "対応完了日", "解決日"),
    "handler": ("担当者", "担当", "対応者"),
    "personal_data": ("個人情報", "個人情報の有無", "個人情報漏えい"),
    "is_drill": ("訓練",),
    "restricted": ("閲覧制限",),
    "summary": ("概要", "事案の概要", "内容", "事象", "詳細"),
    "affected_systems": ("影響を受けたシステム", "対象システム", "影響システム", "情報システム"),
    "root_cause": ("原因",),
    "prevention_measures": ("再発防止策", "再発防止", "対策"),
    "publication_decision": ("公表", "公表の有無"),
}


class RegisterFileError(Exception):
    """The file as a whole cannot be used. ``message`` says why, for the person; nothing was saved."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


@dataclass
class Sheet:
    names: list[str]  # the workbook's worksheets
    name: str  # the one read
    header_row: int  # as Excel numbers it
    headers: list[tuple[str, str]]  # (column letter, header as written), non-empty headers only
    rows: list[tuple[int, tuple[Any, ...]]] = field(default_factory=list)  # non-blank rows below

    def header(self, letter: str) -> str:
        """What the person calls the column: its header, or its letter (“E”) when it has none."""
        return next((text for lt, text in self.headers if lt == letter), letter)

    def cell(self, cells: tuple[Any, ...], letter: str) -> Any:
        index = _column_index(letter)
        return cells[index] if index < len(cells) else None


def _column_index(letter: str) -> int:
    index = 0
    for ch in letter:
        index = index * 26 + (ord(ch) - 64)
    return index - 1


def names_of(key: str) -> list[str]:
    """Every header taken to mean field ``key``, compared by ``header_key``."""
    column = next(c for c in COLUMNS if c.key == key)
    names = []
    for language in ("ja", "en"):
        with translation.override(language):
            names.append(str(column.label))
    names += [str(column.label), key, *ALIASES.get(key, ())]
    return list(dict.fromkeys(header_key(n) for n in names))


def importable_keys() -> list[str]:
    return [c.key for c in COLUMNS if c.importable]


def guess_mapping(headers: list[tuple[str, str]]) -> dict[str, str]:
    """Field → column letter, for each field whose name (or a usual Japanese name) heads a column."""
    mapping: dict[str, str] = {}
    used: set[str] = set()
    for key in importable_keys():
        names = names_of(key)
        best: tuple[int, str] | None = None
        for letter, text in headers:
            found = header_key(text)
            if letter in used or found not in names:
                continue
            rank = names.index(found)
            if best is None or rank < best[0]:
                best = (rank, letter)
        if best is not None:
            mapping[key] = best[1]
            used.add(best[1])
    return mapping


def _known_headers() -> set[str]:
    return {name for key in importable_keys() for name in names_of(key)}


def _is_blank(cells: tuple[Any, ...]) -> bool:
    return all(c is None or (isinstance(c, str) and not c.strip()) for c in cells)


def check_container(path: Path) -> None:
    """Refuse what is not an .xlsx before any XML is parsed."""
    with path.open("rb") as handle:
        magic = handle.read(8)
    if magic == OLE_MAGIC:
        raise RegisterFileError(
            _(
                "This is an Excel 97–2003 file (.xls) or a workbook protected by a password. Open it in "
                "Excel, remove the password if it has one, save it as “Excel Workbook (.xlsx)” and upload that file."
            )
        )
    not_xlsx = _(
        "This file is not an Excel workbook (.xlsx), or it is damaged. Save the register from Excel as "
        "“Excel Workbook (.xlsx)” and upload that file."
    )
    if not magic.startswith(b"PK") or not zipfile.is_zipfile(path):
        raise RegisterFileError(not_xlsx)
    try:
        with zipfile.ZipFile(path) as archive:
            members = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError):
        raise RegisterFileError(not_xlsx) from None
    if not any(m.filename == "xl/workbook.xml" for m in members):
        raise RegisterFileError(not_xlsx)
    if len(members) > 10000 or sum(m.file_size for m in members) > MAX_UNPACKED_BYTES:
        raise RegisterFileError(_("The workbook is too large once unpacked; split it into smaller files."))


def read_sheet(
    path: Path, *, sheet: str | None = None, header_row: int | None = None, known: set[str] | None = None
) -> Sheet:
    """Read one worksheet: the first unless ``sheet`` names another; headers in ``header_row`` if
    given, else in the row of the first rows that holds the most known column names (``known``, as
    ``header_key`` gives them; the incident register's by default — other registers pass theirs)."""
    check_container(path)
    try:
        workbook = load_workbook(path, read_only=True, data_only=True, keep_links=False)
    except Exception:
        # openpyxl raises many kinds of error for a damaged file; for the person they all mean this.
        raise RegisterFileError(
            _(
                "This file is not an Excel workbook (.xlsx), or it is damaged. Save the register from Excel as "
                "“Excel Workbook (.xlsx)” and upload that file."
            )
        ) from None
    try:
        names = list(workbook.sheetnames)
        if not names:
            raise RegisterFileError(_("The workbook has no worksheet."))
        name = sheet if sheet in names else names[0]
        worksheet = workbook[name]
        if not hasattr(worksheet, "iter_rows"):
            raise RegisterFileError(_("“%(sheet)s” is a chart, not a worksheet.") % {"sheet": name})
        worksheet.reset_dimensions()
        try:
            rows = _read_rows(worksheet, header_row)
        except RegisterFileError:
            raise
        except Exception:
            raise RegisterFileError(
                _("The worksheet “%(sheet)s” could not be read; the file may be damaged.") % {"sheet": name}
            ) from None
    finally:
        workbook.close()
    if not rows:
        raise RegisterFileError(_("The worksheet “%(sheet)s” is empty.") % {"sheet": name})
    number = header_row or _find_header_row(rows, known if known is not None else _known_headers())
    header_cells = next((cells for n, cells in rows if n == number), ())
    headers = [
        (get_column_letter(i + 1), str(c).strip())
        for i, c in enumerate(header_cells)
        if c is not None and str(c).strip()
    ]
    data = [(n, cells) for n, cells in rows if n > number]
    if len(data) > MAX_ROWS:
        raise RegisterFileError(
            _("The sheet has more than %(max)s rows; split it into smaller files.") % {"max": MAX_ROWS}
        )
    return Sheet(names, name, number, headers, data)


def _read_rows(worksheet: Any, header_row: int | None) -> list[tuple[int, tuple[Any, ...]]]:
    rows: list[tuple[int, tuple[Any, ...]]] = []
    blank_run = 0
    limit = MAX_ROWS + max(header_row or 0, HEADER_SEARCH_ROWS) + 1
    for number, cells in enumerate(worksheet.iter_rows(max_col=MAX_COLUMNS, values_only=True), start=1):
        if _is_blank(cells):
            blank_run += 1
            if blank_run > MAX_BLANK_RUN:
                break
            continue
        blank_run = 0
        rows.append((number, tuple(cells)))
        if len(rows) > limit:
            raise RegisterFileError(
                _("The sheet has more than %(max)s rows; split it into smaller files.") % {"max": MAX_ROWS}
            )
    return rows


def _find_header_row(rows: list[tuple[int, tuple[Any, ...]]], known: set[str]) -> int:
    best_number, best_score = rows[0][0], 0
    for number, cells in rows[:HEADER_SEARCH_ROWS]:
        score = sum(1 for c in cells if c is not None and header_key(c) in known)
        if score > best_score:
            best_number, best_score = number, score
    return best_number

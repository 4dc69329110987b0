"""The year's figures as an Excel workbook, for staff who put them in their own reports.

One sheet per breakdown, each a plain table with a header row, so that it can be sorted, charted
and pasted in Excel as it is. Durations are numbers (hours), with the unit in the header, never
text like "3時間".
"""

from io import BytesIO

from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.worksheet.worksheet import Worksheet

from .figures import Row, YearFigures

HOURS_FORMAT = "0.0"


def _sheet(wb: Workbook, title: str, header: list[str], widths: list[int]) -> Worksheet:
    # Excel refuses sheet names over 31 characters.
    ws = wb.create_sheet(title[:31])
    ws.append(header)
    for cell in ws[1]:
        cell.font = Font(bold=True)
    for i, width in enumerate(widths):
        ws.column_dimensions[chr(ord("A") + i)].width = width
    ws.freeze_panes = "A2"
    return ws


def _breakdown(wb: Workbook, title: str, what: str, rows: list[Row], total: int) -> None:
    ws = _sheet(wb, title, [what, _("Number of incidents")], [28, 14])
    for row in rows:
        ws.append([row.label, row.count])
    ws.append([_("Total"), total])
    ws.cell(ws.max_row, 1).font = Font(bold=True)


def workbook_bytes(figures: YearFigures, *, organization_name: str) -> bytes:
    wb = Workbook()
    blank = wb.active  # a new workbook comes with an empty sheet; ours are added by name
    if blank is not None:
        wb.remove(blank)
    ws = _sheet(wb, _("Summary"), [_("Item"), _("Value")], [40, 24])
    ws.append([_("Organisation"), organization_name])
    ws.append([_("Fiscal year"), figures.label])
    ws.append([_("Period"), f"{figures.starts:%Y-%m-%d} – {figures.ends:%Y-%m-%d}"])
    ws.append([_("Reports received"), figures.reports])
    ws.append([_("Incidents counted"), figures.incidents])
    ws.append([_("Triaged as not an incident"), figures.not_incident])
    ws.append([_("Merged into another incident"), figures.merged])
    ws.append([_("Drills (not counted)"), figures.drills])
    ws.append([])
    ws.append([_("Drills are excluded from every figure.")])

    _breakdown(wb, _("By month"), _("Month"), figures.by_month, figures.incidents)
    _breakdown(wb, _("By category"), _("Category"), figures.by_category, figures.incidents)
    _breakdown(wb, _("By level"), _("Level"), figures.by_level, figures.incidents)
    _breakdown(wb, _("By channel"), _("Channel of the first report"), figures.by_channel, figures.incidents)

    ws = _sheet(
        wb,
        _("Response times"),
        [_("Step"), _("Number of incidents"), _("Median (hours)"), _("90th percentile (hours)")],
        [28, 12, 18, 24],
    )
    for d in figures.durations:
        ws.append([d.label, d.n, d.median_hours, d.p90_hours])
        for cell in ws[ws.max_row][2:]:
            cell.number_format = HOURS_FORMAT
    ws.append([])
    ws.append([_("Hours from the first report's receipt. 90th percentile by the nearest-rank method.")])

    wb.properties.creator = "Mamori"
    wb.properties.title = figures.label
    out = BytesIO()
    wb.save(out)
    return out.getvalue()

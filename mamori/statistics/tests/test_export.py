"""The Excel export: a workbook Excel opens, in Japanese, named for the year, and journaled."""

from io import BytesIO
from urllib.parse import quote

import pytest
from django.test import Client
from openpyxl import load_workbook

from mamori.conftest import sign_in
from mamori.journal.models import JournalEntry

from .steps import closed, contained, jst, reported, triaged

pytestmark = pytest.mark.django_db

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def export(person, fy: int):
    client = Client()
    sign_in(client, person)
    return client.get(f"/statistics/{fy}.xlsx")


def cells(ws) -> list[list]:
    return [list(row) for row in ws.iter_rows(values_only=True)]


def test_workbook_opens_with_the_years_figures_in_japanese(komae):
    incident = reported(komae, jst(2026, 4, 10, 9))
    triaged(komae, incident, jst(2026, 4, 10, 11), category="loss_or_leak", level=2)
    contained(komae, incident, jst(2026, 4, 10, 15))
    closed(komae, incident, jst(2026, 4, 11, 9))
    reported(komae, jst(2027, 2, 1, 9))

    response = export(komae.csirt_manager, 2026)
    assert response.status_code == 200
    assert response["Content-Type"] == XLSX
    assert response["Cache-Control"] == "private, no-store"
    wb = load_workbook(BytesIO(response.content))
    assert len(wb.sheetnames) == 6
    summary, by_month, by_category, by_level, by_channel, times = wb.worksheets

    rows = cells(summary)
    assert [r[1] for r in rows if r[1] == "狛江市"] == ["狛江市"]
    assert any(r[1] == "令和8年度" for r in rows)
    assert any(r[1] == "2026-04-01 – 2027-03-31" for r in rows)

    months = cells(by_month)[1:]
    assert months[0] == ["4月", 1]
    assert months[10] == ["2月", 1]
    assert months[-1][1] == 2  # the total

    categories = dict(cells(by_category)[1:])
    assert categories["盗難・紛失・漏えい"] == 1
    assert categories["外部からのサイバー攻撃"] == 0
    assert dict(cells(by_level)[1:])["レベル2"] == 1
    assert sum(v for k, v in cells(by_channel)[1:-1]) == 2

    triage, containment, closure = cells(times)[1:4]
    assert triage[1:] == [1, 2.0, 2.0]  # numbers, not text: Excel can sum and chart them
    assert containment[1:] == [1, 6.0, 6.0]
    assert closure[1:] == [1, 24.0, 24.0]
    assert times.cell(2, 3).number_format == "0.0"


def test_an_empty_year_has_blank_times_not_zero(komae):
    wb = load_workbook(BytesIO(export(komae.csirt_manager, 2026).content))
    times = wb.worksheets[-1]
    assert [times.cell(row, 3).value for row in (2, 3, 4)] == [None, None, None]


@pytest.mark.parametrize(("fy", "label"), [(2018, "平成30年度"), (2019, "令和元年度")])
def test_file_and_workbook_are_named_for_the_fiscal_year_across_the_change_of_era(komae, fy, label):
    reported(komae, jst(fy, 10, 1, 9))
    response = export(komae.csirt_manager, fy)
    disposition = response["Content-Disposition"]
    assert disposition.startswith("attachment; ")
    assert f'filename="incident-statistics-{fy}.xlsx"' in disposition
    assert "filename*=UTF-8''" in disposition
    assert quote(label) in disposition.split("filename*=UTF-8''", 1)[1]
    wb = load_workbook(BytesIO(response.content))
    assert wb.properties.title == label
    assert any(r[1] == label for r in cells(wb.worksheets[0]))


def test_each_export_is_journaled(komae):
    export(komae.csirt_manager, 2026)
    entry = JournalEntry.objects.get(action="statistics.exported")
    assert entry.actor == komae.csirt_manager
    assert entry.organization == komae.organization
    assert entry.data["fiscal_year"] == 2026
    assert entry.data["incidents"] == 0
    assert "令和8年度" in entry.data["file_name"]


def test_a_refused_export_is_not_journaled(komae):
    assert export(komae.staff, 2026).status_code == 404
    assert not JournalEntry.objects.filter(action="statistics.exported").exists()


@pytest.mark.parametrize("fy", [1999, 2201])
def test_years_out_of_range_do_not_exist(komae, fy):
    assert export(komae.csirt_manager, fy).status_code == 404

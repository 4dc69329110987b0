"""The incident register as an Excel workbook: the list's filters, need-to-know, dates, the journal."""

import io
from datetime import datetime
from urllib.parse import quote

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone, translation
from openpyxl import load_workbook

from mamori import wareki
from mamori.conftest import sign_in
from mamori.incidents import need_to_know, services
from mamori.incidents.register_export import COLUMNS, DATETIME_FORMAT
from mamori.journal.models import JournalEntry

from .scenario import report, triage

pytestmark = pytest.mark.django_db

URL = "/incidents/register.xlsx"


def ja(text: str) -> str:
    with translation.override("ja"):
        return translation.gettext(text)


def headers_ja() -> list[str]:
    with translation.override("ja"):
        return [str(c.label) for c in COLUMNS]


def download(client: Client, query: str = "") -> tuple[list[str], list[dict[str, object]], object]:
    """The workbook of one export: its headers, its rows as {header: value}, and the sheet."""
    response = client.get(f"{URL}?{query}" if query else URL)
    assert response.status_code == 200, response.status_code
    assert response["Content-Type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    # Reading the stream to its end closes the response through the test client. Closing it again
    # would send request_finished a second time, which closes the test's PostgreSQL connection.
    data = b"".join(response.streaming_content)
    sheet = load_workbook(io.BytesIO(data)).worksheets[0]
    rows = [list(r) for r in sheet.iter_rows(values_only=True)]
    headers = [str(h) for h in rows[0]]
    return headers, [dict(zip(headers, r, strict=True)) for r in rows[1:]], sheet


def column(key: str) -> str:
    return headers_ja()[[c.key for c in COLUMNS].index(key)]


def test_export_has_japanese_columns_real_dates_and_the_list_filters(komae):
    attack = triage(komae, report(komae, description="標的型メールの添付ファイルを開いた"), level=3)
    attack = services.assign_handler(
        attack, actor=komae.csirt_manager, expected_version=attack.version, handler=komae.handler
    )
    untriaged = report(komae, description="USBメモリを紛失した")
    client = Client()
    sign_in(client, komae.csirt_manager)

    headers, rows, sheet = download(client, "state=responding")

    assert headers == headers_ja()
    assert [r[column("reference")] for r in rows] == [attack.reference]  # the filter: not untriaged
    row = rows[0]
    assert row[column("fiscal_year")] == wareki.fiscal_year_label(attack.fiscal_year)  # 令和8年度
    assert row[column("title")] == attack.title
    assert row[column("state")] == ja("Responding")
    assert row[column("category")] == "外部からのサイバー攻撃"  # komae 別表2, by its label
    assert row[column("level")] == "レベル3"
    assert row[column("handler")] == komae.handler.display_name  # インシデントハンドラー
    assert row[column("channel")] == ja("Staff form")
    with translation.override("ja"):
        assert row[column("personal_data")] == translation.pgettext("register value", "No")
    opened = row[column("opened_at")]
    assert isinstance(opened, datetime) and opened.tzinfo is None
    local = timezone.localtime(attack.opened_at).replace(tzinfo=None)  # Asia/Tokyo, as Excel shows it
    assert abs((opened - local).total_seconds()) < 1
    assert isinstance(row[column("triaged_at")], datetime)
    assert row[column("closed_at")] is None
    assert sheet.cell(row=2, column=7).number_format == DATETIME_FORMAT

    _headers, everything, _sheet = download(client)
    assert [r[column("reference")] for r in everything] == [attack.reference, untriaged.reference]


def test_file_name_is_japanese_and_the_fiscal_year_filtered(komae):
    incident = report(komae)
    client = Client()
    sign_in(client, komae.csirt_manager)
    response = client.get(URL, {"fiscal_year": incident.fiscal_year})
    disposition = response["Content-Disposition"]
    b"".join(response.streaming_content)  # read to the end: the test client then closes the file
    expected = "_".join(
        [
            ja("Incident register"),
            komae.organization.name,
            wareki.fiscal_year_label(incident.fiscal_year),
            f"{timezone.localdate():%Y%m%d}",
        ]
    )
    assert disposition.startswith("attachment;")
    assert f"filename*=utf-8''{quote(expected + '.xlsx')}" in disposition
    assert response["Cache-Control"] == "private, no-store"


def test_need_to_know_a_restricted_incident_the_person_may_not_see_is_left_out(komae):
    shared = triage(komae, report(komae, description="ファイルサーバーに接続できない"), level=1)
    hidden = triage(
        komae, report(komae, description="職員の私物端末から情報が漏えい"), level=2, restricted=True
    )
    need_to_know.add_member(
        shared, actor=komae.csirt_manager, expected_version=None, person=komae.ciso, reason="報告のため"
    )
    client = Client()
    sign_in(client, komae.ciso)  # no view_all: sees what they were named on

    _headers, rows, _sheet = download(client)

    references = [r[column("reference")] for r in rows]
    assert references == [shared.reference]
    assert hidden.reference not in references

    sign_in(client, komae.csirt_manager)  # CSIRT: sees both
    _headers, rows, _sheet = download(client)
    assert {r[column("reference")] for r in rows} == {shared.reference, hidden.reference}


def test_export_is_journaled_with_the_filters_and_row_count(komae):
    for _ in range(3):
        triage(komae, report(komae), level=2)
    report(komae)
    client = Client()
    sign_in(client, komae.csirt_manager)
    before = JournalEntry.objects.count()

    download(client, "state=responding&level=2")

    entry = JournalEntry.objects.filter(action="register.exported").get()
    assert JournalEntry.objects.count() == before + 1
    assert entry.actor == komae.csirt_manager
    assert entry.organization == komae.organization
    assert entry.data["rows"] == 3
    assert entry.data["filters"] == {"state": "responding", "level": 2}
    assert entry.data["file_name"].endswith(".xlsx")


def test_queries_do_not_grow_with_the_rows(komae):
    client = Client()
    sign_in(client, komae.csirt_manager)
    client.get("/incidents/")  # the first visit records the session's activity

    def queries() -> int:
        with CaptureQueriesContext(connection) as ctx:
            download(client)
        return len(ctx.captured_queries)

    for i in range(3):
        triage(komae, report(komae, description=f"事象 {i}"), level=i % 4)
    few = queries()
    for i in range(12):
        incident = report(komae, description=f"事象 {i}")
        if i % 2:
            incident = triage(komae, incident, level=i % 4)
            services.assign_handler(
                incident, actor=komae.csirt_manager, expected_version=incident.version, handler=komae.handler
            )
    many = queries()
    assert few == many, (few, many)


def test_text_that_looks_like_a_formula_stays_text(komae):
    incident = report(komae)
    services.set_flags(
        incident,
        actor=komae.csirt_manager,
        expected_version=incident.version,
        personal_data=False,
        restricted=False,
        is_drill=False,
        affected_systems="",
        title='=HYPERLINK("http://example.invalid","開いて")',
    )
    client = Client()
    sign_in(client, komae.csirt_manager)
    _headers, _rows, sheet = download(client)
    cell = sheet.cell(row=2, column=3)
    assert cell.data_type == "s"
    assert cell.value == '=HYPERLINK("http://example.invalid","開いて")'


def test_bad_filters_export_nothing_and_show_the_list(komae):
    report(komae)
    client = Client()
    sign_in(client, komae.csirt_manager)
    response = client.get(URL, {"state": "no-such-state"})
    assert response.status_code == 302
    assert response["Location"] == reverse("incidents:list") + "?state=no-such-state"
    assert not JournalEntry.objects.filter(action="register.exported").exists()


def test_anyone_of_the_organisation_may_export_what_they_see(komae, outsider):
    report(komae)
    client = Client()
    sign_in(client, komae.staff)  # reported it, but is not named on it
    _headers, rows, _sheet = download(client)
    assert rows == []
    sign_in(client, outsider)  # another organisation: its own (empty) register, never komae's
    _headers, rows, _sheet = download(client)
    assert rows == []
    assert Client().get(URL).status_code == 302  # anonymous: to the login page


def test_list_links_to_the_export_with_its_filters(komae):
    client = Client()
    sign_in(client, komae.handler)
    page = client.get("/incidents/", {"state": "closed", "page": "1"}).content.decode()
    assert f'href="{URL}?state=closed"' in page
    assert reverse("incidents:register_import") not in page  # handler: no import_register
    sign_in(client, komae.csirt_manager)
    page = client.get("/incidents/").content.decode()
    assert reverse("incidents:register_import") in page

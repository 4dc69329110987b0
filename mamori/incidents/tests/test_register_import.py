"""Importing past incidents from an Excel register: upload, columns, dry run, confirm, all or nothing."""

import io
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django.utils import translation
from openpyxl import Workbook, load_workbook

from mamori.conftest import sign_in
from mamori.incidents.errors import NotAllowed
from mamori.incidents.models import Incident, ReferenceCounter
from mamori.incidents.references import next_reference
from mamori.incidents.register_cells import CellError, parse_bool, parse_moment
from mamori.incidents.register_export import COLUMNS, yes_no
from mamori.incidents.register_import import check_sheet, import_incidents
from mamori.incidents.register_sheet import read_sheet
from mamori.journal.models import JournalEntry
from mamori.journal.verify import verify_chain

pytestmark = pytest.mark.django_db

TOKYO = ZoneInfo("Asia/Tokyo")
UPLOAD = reverse("incidents:register_import")
COLUMNS_URL = reverse("incidents:register_import_columns")
CHECK = reverse("incidents:register_import_check")
CANCEL = reverse("incidents:register_import_cancel")
HEADERS = ["整理番号", "件名", "状態", "分類", "レベル", "受付日時", "収束日時", "担当者", "個人情報", "概要"]


@pytest.fixture(autouse=True)
def data_dir(settings, tmp_path) -> Path:
    settings.DATA_DIR = tmp_path
    return tmp_path


def xlsx(*rows: list[Any], title_row: str | None = None) -> bytes:
    wb = Workbook()
    ws = wb.active
    if title_row:
        ws.append([title_row])
        ws.append([])
    for row in rows:
        ws.append(row)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def upload(client: Client, data: bytes, name: str = "台帳.xlsx") -> Any:
    return client.post(UPLOAD, {"file": SimpleUploadedFile(name, data)})


def choose_columns(client: Client, **changes: str) -> Any:
    """Post the mapping page as the person leaves it: the columns Mamori chose, plus ``changes``."""
    page = client.get(COLUMNS_URL)
    assert page.status_code == 200, page.status_code
    form = page.context["form"]
    data = {name: form[name].value() or "" for name in form.fields}
    data.update({f"field_{k}": v for k, v in changes.items()})
    return client.post(COLUMNS_URL, data)


def dry_run(client: Client, data: bytes) -> Any:
    assert upload(client, data)["Location"] == COLUMNS_URL
    assert choose_columns(client)["Location"] == CHECK
    return client.get(CHECK)


def confirm(client: Client, page: Any) -> Any:
    return client.post(CHECK, {"digest": page.context["confirm"]["digest"].value()})


@pytest.fixture
def manager(komae) -> Client:
    client = Client()
    sign_in(client, komae.csirt_manager)  # komae: import_register is the CSIRT管理者's and 責任者's
    return client


def test_one_bad_row_saves_nothing_and_names_row_and_column(komae, manager):
    # fmt: off
    data = xlsx(
        HEADERS,
        ["", "USBメモリの紛失", "収束", "盗難・紛失・漏えい", "レベル1", "2025/4/10 9:00", "2025/4/20", "", "はい", ""],
        ["", "不審メール", "収束", "外部からのサイバー攻撃", "レベル2", "令和7年5月1日", "", "", "いいえ", ""],
        ["", "Webサイト改ざん", "収束", "外部からのサイバー攻撃", "レベル3", "2025/6/1 10:00", "", "", "", ""],
        ["", "誤送信", "収束", "その他", "レベル9", "2025/7/1", "", "", "", ""],  # row 5
    )
    # fmt: on
    incidents, journal = Incident.objects.count(), JournalEntry.objects.count()

    page = dry_run(manager, data)

    assert page.status_code == 200
    errors = page.context["result"].errors
    assert [(e.row, e.column) for e in errors] == [(5, "レベル")]
    with translation.override("ja"):
        shown = str(errors[0])
    assert "5" in shown and "レベル" in shown  # 5行目「レベル」: 方針にないレベルです（レベル0、…）
    assert str(errors[0]) in page.content.decode()
    assert page.context["confirm"] is None  # nothing to confirm
    # Even a hand-made confirmation imports nothing: the rows are checked again.
    forged = manager.post(CHECK, {"digest": "0" * 64})
    assert forged.status_code == 302
    assert (Incident.objects.count(), JournalEntry.objects.count()) == (incidents, journal)


def test_a_good_file_is_imported_in_one_go_and_journaled(komae, manager, data_dir):
    # fmt: off
    data = xlsx(
        HEADERS,
        ["R6-0003", "USBメモリの紛失", "収束", "盗難・紛失・漏えい", "1", "2024/4/10 9:00", "2024/4/20 17:30",
         "komae-handler", "○", "庁舎外で紛失"],
        ["", "メール誤送信", "インシデント非該当", "", "", "令和6年5月1日", "", "CSIRT管理者", "×", ""],
    )
    # fmt: on
    page = dry_run(manager, data)
    assert page.context["result"].errors == []
    assert [r["new_reference"] for r in page.context["preview"]] == ["", "R6-0004"]

    response = confirm(manager, page)

    assert response.status_code == 302 and response["Location"] == reverse("incidents:list")
    usb = Incident.objects.get(reference="R6-0003")
    assert (usb.state, usb.category, usb.level, usb.fiscal_year) == ("closed", "loss_or_leak", 1, 2024)
    assert usb.opened_at == datetime(2024, 4, 10, 9, 0, tzinfo=TOKYO)
    assert usb.closed_at == datetime(2024, 4, 20, 17, 30, tzinfo=TOKYO)
    assert usb.handler == komae.handler and usb.personal_data and usb.summary == "庁舎外で紛失"
    assert usb.policy.is_active and usb.policy.organization == komae.organization
    mail = Incident.objects.get(reference="R6-0004")
    assert (mail.state, mail.handler, mail.personal_data) == ("not_incident", komae.csirt_manager, False)
    # History: nobody paged, nothing owed.
    assert not usb.obligations.exists() and not usb.external_reports.exists()
    assert not usb.escalations.exists()
    imported = JournalEntry.objects.filter(action="incident.imported")
    assert sorted(e.data["reference"] for e in imported) == ["R6-0003", "R6-0004"]
    summary = JournalEntry.objects.get(action="register.imported")
    assert summary.data["incidents"] == 2 and summary.object_label == "台帳.xlsx"
    assert verify_chain()[1] is None
    assert list((data_dir / "imports").iterdir()) == []  # the uploaded file is gone


def test_round_trip_import_then_export_gives_the_same_cells(komae, manager):
    importable = [c for c in COLUMNS if c.importable]
    with translation.override("ja"):  # the export's own headers and words, as a Japanese reader gets them
        headers = [str(c.label) for c in importable]
        yes, no = yes_no(True), yes_no(False)
    rows = [
        ["R5-0001", "標的型メール", "収束", "外部からのサイバー攻撃", "レベル3", datetime(2023, 6, 1, 9, 30),
         datetime(2023, 6, 1, 11, 0), datetime(2023, 6, 2, 15, 0), datetime(2023, 7, 31, 17, 0),
         "インシデントハンドラー", yes, no, no, "端末1台が感染", "財務会計システム", "添付ファイルの実行",
         "無害化の導入", "公表しない"],
        ["R5-0002", "システム停止", "インシデント非該当", None, None, datetime(2023, 8, 1, 10, 0),
         None, None, datetime(2023, 8, 1, 12, 0), None, no, yes, yes, None, None, None, None, None],
    ]  # fmt: skip
    page = dry_run(manager, xlsx(headers, *rows))
    assert page.context["result"].errors == []
    assert confirm(manager, page).status_code == 302

    response = manager.get("/incidents/register.xlsx", {"fiscal_year": 2023})
    sheet = load_workbook(io.BytesIO(b"".join(response.streaming_content))).worksheets[0]
    exported = [list(r) for r in sheet.iter_rows(values_only=True)]
    keys = [c.key for c in COLUMNS]
    assert [[row[keys.index(c.key)] for c in importable] for row in exported] == [headers, *rows]
    assert exported[1][keys.index("fiscal_year")] == "令和5年度"


def test_a_reference_of_our_form_raises_that_years_counter(komae, manager):
    ReferenceCounter.objects.create(organization=komae.organization, fiscal_year=2025, last_number=4)
    data = xlsx(
        ["整理番号", "件名", "受付日時"],
        ["R7-0012", "過去の事案", "2025/10/1"],
        ["", "番号なしの事案", "2025/9/1"],
        ["旧-15", "旧台帳の番号", "2025/9/2"],  # another form: kept, counts for nothing
    )
    page = dry_run(manager, data)
    assert confirm(manager, page).status_code == 302
    assert Incident.objects.filter(title="番号なしの事案").get().reference == "R7-0013"
    assert Incident.objects.filter(reference="旧-15").exists()
    assert ReferenceCounter.objects.get(organization=komae.organization, fiscal_year=2025).last_number == 13
    # The next report of fiscal 2025 never collides with what was imported.
    _fy, reference = next_reference(komae.organization, datetime(2026, 3, 1, tzinfo=TOKYO))
    assert reference == "R7-0014"


def test_references_must_be_unique_in_the_file_and_the_organisation(komae, manager):
    from .scenario import report

    existing = report(komae)
    data = xlsx(
        ["整理番号", "件名", "受付日時"],
        ["X-1", "一件目", "2025/4/1"],
        ["X-1", "二件目", "2025/4/2"],
        [existing.reference, "三件目", "2025/4/3"],
        ["A" * 21, "四件目", "2025/4/4"],
    )
    page = dry_run(manager, data)
    assert [(e.row, e.column) for e in page.context["result"].errors] == [
        (3, "整理番号"),
        (4, "整理番号"),
        (5, "整理番号"),
    ]


def test_era_and_fiscal_year_boundaries(komae, manager):
    data = xlsx(
        ["件名", "受付日時"],
        ["平成最後の日", "平成31年4月30日"],
        ["令和最初の日", "令和元年5月1日"],
        ["年度末", "2020/3/31 23:59"],
        ["年度初め", "2020/4/1 0:00"],
        ["和暦の略記", "R2.4.2 9:00"],
    )
    page = dry_run(manager, data)
    assert confirm(manager, page).status_code == 302
    found = {i.title: (i.fiscal_year, i.reference) for i in Incident.objects.all()}
    assert found["平成最後の日"] == (2019, "R1-0001")  # fiscal 2019 is 令和元年度 (docs/adr/0002)
    assert found["令和最初の日"] == (2019, "R1-0002")
    assert found["年度末"] == (2019, "R1-0003")
    assert found["年度初め"] == (2020, "R2-0001")
    assert found["和暦の略記"] == (2020, "R2-0002")
    assert Incident.objects.get(title="平成最後の日").opened_at == datetime(2019, 4, 30, tzinfo=TOKYO)


def test_without_import_register_every_step_is_refused(komae):
    client = Client()
    sign_in(client, komae.handler)  # view_all and respond, but not import_register
    assert client.get(UPLOAD).status_code == 403
    assert upload(client, xlsx(["件名", "受付日時"], ["x", "2025/4/1"])).status_code == 403
    assert client.get(COLUMNS_URL).status_code == 403
    assert client.get(CHECK).status_code == 403
    assert client.post(CANCEL).status_code == 403
    with pytest.raises(NotAllowed):
        import_incidents(komae.organization, actor=komae.handler, rows=[])


@pytest.mark.parametrize(
    ("name", "data"),
    [
        ("台帳.xlsx", "整理番号,件名\nR7-0001,テスト\n".encode("cp932")),  # a CSV renamed
        ("台帳.xlsx", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 600),  # an old .xls
        ("台帳.xlsx", b"PK\x03\x04 broken"),
        ("台帳.csv", b"a,b\n"),
        ("台帳.xlsx", b""),
    ],
)
def test_what_is_not_an_xlsx_gets_a_clear_error(komae, manager, data_dir, name, data):
    response = upload(manager, data, name)
    assert response.status_code == 400
    assert response.context["form"].errors["file"]
    assert not list((data_dir / "imports").glob("*"))  # nothing is kept of a refused file


def test_non_xlsx_message_is_japanese(komae, manager):
    response = manager.post(
        UPLOAD, {"file": SimpleUploadedFile("台帳.xlsx", b"not a workbook")}, HTTP_ACCEPT_LANGUAGE="ja"
    )
    assert response.status_code == 400
    with translation.override("ja"):
        expected = translation.gettext(
            "This file is not an Excel workbook (.xlsx), or it is damaged. Save the register from Excel as "
            "“Excel Workbook (.xlsx)” and upload that file."
        )
    assert expected in response.content.decode()


def test_header_row_below_a_title_and_the_mapping_guessed(komae, manager):
    data = xlsx(
        ["件名", "発生日", "対応者"],
        ["不審メール", "2025/5/1", "komae-handler"],
        title_row="令和7年度 インシデント管理台帳",
    )
    assert upload(manager, data)["Location"] == COLUMNS_URL
    page = manager.get(COLUMNS_URL)
    assert page.context["sheet"].header_row == 3
    form = page.context["form"]
    assert (form["field_title"].value(), form["field_opened_at"].value(), form["field_handler"].value()) == (
        "A",
        "B",
        "C",
    )
    # The same column twice is refused.
    twice = choose_columns(manager, closed_at="B")
    assert twice.status_code == 400


def test_only_past_states_and_policy_values(komae, manager):
    data = xlsx(
        ["件名", "受付日時", "状態", "分類", "担当者", "個人情報"],
        ["対応中の事案", "2025/4/1", "対応中", "", "", ""],
        ["分類違い", "2025/4/1", "収束", "地震", "", ""],
        ["担当者違い", "2025/4/1", "", "", "誰でもない人", ""],
        ["真偽違い", "2025/4/1", "", "", "", "たぶん"],
        ["未来", "2099/4/1", "", "", "", ""],
        ["", "", "", "", "", ""],  # blank: skipped
        ["", "2025/4/1", "", "", "", ""],
    )
    page = dry_run(manager, data)
    assert [(e.row, e.column) for e in page.context["result"].errors] == [
        (2, "状態"),
        (3, "分類"),
        (4, "担当者"),
        (5, "個人情報"),
        (6, "受付日時"),
        (8, "件名"),
    ]


def test_cancel_removes_the_file(komae, manager, data_dir):
    upload(manager, xlsx(["件名", "受付日時"], ["x", "2025/4/1"]))
    assert len(list((data_dir / "imports").iterdir())) == 1
    assert manager.post(CANCEL).status_code == 302
    assert list((data_dir / "imports").iterdir()) == []
    assert manager.get(CHECK)["Location"] == UPLOAD


def test_a_row_taken_between_dry_run_and_confirm_saves_nothing(komae, manager):
    page = dry_run(manager, xlsx(["整理番号", "件名", "受付日時"], ["OLD-1", "一件目", "2025/4/1"]))
    Incident.objects.create(
        organization=komae.organization,
        reference="OLD-1",
        fiscal_year=2025,
        title="同時に作られた",
        policy=komae.organization.policyversion_set.get(is_active=True),
        opened_at=datetime(2025, 4, 1, tzinfo=TOKYO),
        updated_at=datetime(2025, 4, 1, tzinfo=TOKYO),
    )
    response = confirm(manager, page)
    assert response.status_code == 409
    assert [(e.row, e.column) for e in response.context["result"].errors] == [(2, "整理番号")]
    assert not JournalEntry.objects.filter(action="register.imported").exists()


def test_check_sheet_reads_cells_in_every_form(komae, tmp_path):
    path = tmp_path / "r.xlsx"
    path.write_bytes(
        xlsx(
            ["件名", "受付日時", "訓練"],
            ["全角", "２０２５／４／１　１０：００", "ＴＲＵＥ"],
            ["曜日つき", "2025/4/1(火) 10:00", 1],
        )
    )
    sheet = read_sheet(path)
    result = check_sheet(komae.organization, sheet, {"title": "A", "opened_at": "B", "is_drill": "C"})
    assert result.errors == []
    assert [(r.opened_at, r.is_drill) for r in result.rows] == [
        (datetime(2025, 4, 1, 10, 0, tzinfo=TOKYO), True),
        (datetime(2025, 4, 1, 10, 0, tzinfo=TOKYO), True),
    ]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2025/4/1 10:00", datetime(2025, 4, 1, 10, 0)),
        ("2025-04-01", datetime(2025, 4, 1)),
        ("2025年4月1日 10時5分", datetime(2025, 4, 1, 10, 5)),
        ("令和7年4月1日", datetime(2025, 4, 1)),
        ("令和元年5月1日", datetime(2019, 5, 1)),
        ("平成31年4月30日", datetime(2019, 4, 30)),
        ("H31.4.30", datetime(2019, 4, 30)),
        ("昭和64年1月7日", datetime(1989, 1, 7)),
        (datetime(2025, 4, 1, 10, 0), datetime(2025, 4, 1, 10, 0)),
        (45748, datetime(2025, 4, 1)),  # an Excel serial number whose date format was lost
    ],
)
def test_dates(text, expected):
    assert parse_moment(text) == expected.replace(tzinfo=TOKYO)


@pytest.mark.parametrize("text", ["令和元年4月30日", "2025/2/30", "来週", "令和0年5月1日", True])
def test_not_dates(text):
    with pytest.raises(CellError):
        parse_moment(text)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("はい", True),
        ("○", True),
        ("TRUE", True),
        (1, True),
        ("いいえ", False),
        ("×", False),
        ("0", False),
        (None, False),
    ],
)
def test_yes_and_no(value, expected):
    assert parse_bool(value) is expected

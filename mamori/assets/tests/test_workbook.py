"""The register as Excel, round trip: what Mamori writes opens in Excel's format and reads back as the
same register; a changed workbook shows its changes in the dry run and then applies all or nothing."""

import io
from pathlib import Path

import pytest
from django.test import Client
from django.utils import translation
from openpyxl import load_workbook

from mamori.conftest import sign_in
from mamori.incidents.errors import Invalid
from mamori.journal.models import JournalEntry
from mamori.policy.services import active_policy

from ..models import InformationSystem
from ..workbook import SOFTWARE_SHEET, SYSTEMS_SHEET, write_register
from ..workbook_import import check_workbook, import_workbook

pytestmark = pytest.mark.django_db


def export(register) -> bytes:
    organization = register.org.organization
    with translation.override("ja"):
        return write_register(
            InformationSystem.objects.filter(organization=organization), active_policy(organization)
        )


def rows_of(content: bytes, sheet: str) -> list[dict[str, object]]:
    book = load_workbook(io.BytesIO(content))
    values = list(book[sheet].iter_rows(values_only=True))
    return [dict(zip(values[0], row, strict=True)) for row in values[1:]]


def save(book, tmp_path: Path, name: str = "台帳.xlsx") -> Path:
    path = tmp_path / name
    book.save(path)
    return path


def test_the_export_is_the_register_as_staff_keep_it(register):
    systems = rows_of(export(register), SYSTEMS_SHEET)
    dispatch = next(r for r in systems if r["管理番号"] == "S-001")
    assert dispatch["システム名"] == "消防指令システム"
    assert dispatch["所管課"] == "警防課"
    assert dispatch["情報システム管理者"] == "情報システム管理者 (tatebayashi-system_admin)"
    assert dispatch["ネットワーク区分"] == "LGWAN接続系"
    assert (dispatch["機密性"], dispatch["完全性"], dispatch["可用性"]) == ("機密性3B", "完全性2", "可用性2")
    assert dispatch["個人情報の保有"] == "はい" and dispatch["本人数"] == 12000
    software = rows_of(export(register), SOFTWARE_SHEET)
    assert {(r["管理番号"], r["製品名"], r["バージョン"]) for r in software} == {
        ("S-001", "Windows Server", "2019"),
        ("S-001", "PostgreSQL", "13.4"),
        ("S-002", "WordPress", "6.4.2"),
    }
    book = load_workbook(io.BytesIO(export(register)))
    lists = [v.formula1 for v in book[SYSTEMS_SHEET].data_validations.dataValidation]
    assert '"マイナンバー利用事務系,LGWAN接続系,インターネット接続系"' in lists  # a drop-down in Excel


def test_an_unchanged_export_reads_back_as_unchanged(register, tmp_path):
    path = tmp_path / "register.xlsx"
    path.write_bytes(export(register))
    with translation.override("ja"):
        result = check_workbook(register.org.organization, path)
    assert result.errors == [] and result.ignored_columns == []
    assert result.counts() == {"add": 0, "change": 0, "same": 2}


def test_a_changed_workbook_is_checked_then_applied(register, tmp_path):
    org = register.org
    book = load_workbook(io.BytesIO(export(register)))
    sheet = book[SYSTEMS_SHEET]
    headers = [c.value for c in sheet[1]]
    col = {h: i + 1 for i, h in enumerate(headers)}
    sheet.cell(row=3, column=col["設置場所"], value="庁舎 2階 サーバ室")  # S-002 changes
    sheet.cell(row=3, column=col["可用性"], value="2")  # by key as well as by label
    sheet.append(
        {
            col["管理番号"]: "Ｓ－００３",  # typed full-width
            col["システム名"]: "庶務事務システム",
            col["情報システム管理者"]: "tatebayashi-system_admin",
            col["ネットワーク区分"]: "LGWAN接続系",
            col["機密性"]: "機密性2",
            col["完全性"]: "完全性1",
            col["可用性"]: "可用性1",
            col["個人情報の保有"]: "○",
            col["本人数"]: "１，２００人",
            col["使用中"]: "はい",
        }
    )
    book[SOFTWARE_SHEET].append(["S-003", "庶務事務パッケージ", "5.1", "ベンダーA"])
    path = save(book, tmp_path)
    journal_before = JournalEntry.objects.count()

    with translation.override("ja"):
        result = check_workbook(org.organization, path)
    assert result.errors == []
    assert result.counts() == {"add": 1, "change": 1, "same": 1}
    changed = next(p for p in result.planned if p.data.code == "S-002")
    assert changed.changes == ["設置場所", "可用性"]
    assert (
        InformationSystem.objects.count() == 2 and JournalEntry.objects.count() == journal_before
    )  # a dry run

    import_workbook(org.organization, path, actor=org.chief_security_officer)
    new = InformationSystem.objects.get(code="S-003")
    assert new.administrator == org.system_admin and new.personal_data_count == 1200
    assert new.classification == {"confidentiality": "2", "integrity": "1", "availability": "1"}
    assert [(s.product, s.version, s.publisher) for s in new.software.all()] == [
        ("庶務事務パッケージ", "5.1", "ベンダーA")
    ]
    website = InformationSystem.objects.get(code="S-002")
    assert website.location == "庁舎 2階 サーバ室" and website.classification["availability"] == "2"
    actions = list(JournalEntry.objects.filter(seq__gt=journal_before).values_list("action", flat=True))
    assert actions == ["system.changed", "system.created", "system.software_set", "systems.imported"]

    # Exported again, the register reads back unchanged: the round trip is closed.
    path.write_bytes(export(register))
    with translation.override("ja"):
        assert check_workbook(org.organization, path).counts() == {"add": 0, "change": 0, "same": 3}


def test_one_bad_row_and_nothing_is_saved(register, tmp_path):
    org = register.org
    book = load_workbook(io.BytesIO(export(register)))
    sheet = book[SYSTEMS_SHEET]
    col = {c.value: i + 1 for i, c in enumerate(sheet[1])}
    sheet.cell(row=2, column=col["システム名"], value="消防指令システム（更新）")  # a good change
    sheet.append({col["管理番号"]: "S-010", col["システム名"]: "新システム", col["ネットワーク区分"]: "DMZ",
                  col["機密性"]: "機密性9", col["完全性"]: "完全性2", col["可用性"]: "可用性2",
                  col["情報システム管理者"]: "存在しない人"})  # fmt: skip
    sheet.append({col["管理番号"]: "S-001", col["システム名"]: "重複行", col["機密性"]: "機密性1",
                  col["完全性"]: "完全性1", col["可用性"]: "可用性1", col["本人数"]: "多数"})  # fmt: skip
    book[SOFTWARE_SHEET].append(["S-999", "何か", "1.0"])
    path = save(book, tmp_path)
    with translation.override("ja"):
        result = check_workbook(org.organization, path)
        problems = {(e.sheet, e.row, e.column): e.message for e in result.errors}
        assert (
            "「DMZ」はポリシーのネットワーク区分にありません"
            in problems[(SYSTEMS_SHEET, 4, "ネットワーク区分")]
        )
        assert "機密性の区分にありません" in problems[(SYSTEMS_SHEET, 4, "機密性")]
        assert "存在しない人" in problems[(SYSTEMS_SHEET, 4, "情報システム管理者")]
        assert "2行目にもあります" in problems[(SYSTEMS_SHEET, 5, "管理番号")]
        assert "人数として読めません" in problems[(SYSTEMS_SHEET, 5, "本人数")]
        assert "シート「情報システム台帳」にありません" in problems[(SOFTWARE_SHEET, 5, "管理番号")]
        with pytest.raises(Invalid):
            import_workbook(org.organization, path, actor=org.chief_security_officer)
    assert InformationSystem.objects.get(code="S-001").name == "消防指令システム"
    assert not InformationSystem.objects.filter(code="S-010").exists()
    assert not JournalEntry.objects.filter(action="systems.imported").exists()


def test_import_through_the_pages(register, tmp_path):
    org = register.org
    book = load_workbook(io.BytesIO(export(register)))
    sheet = book[SYSTEMS_SHEET]
    col = {c.value: i + 1 for i, c in enumerate(sheet[1])}
    sheet.cell(row=2, column=col["備考"], value="令和8年度に更新予定")
    content = io.BytesIO()
    book.save(content)
    client = Client()
    sign_in(client, org.chief_security_officer)
    upload = io.BytesIO(content.getvalue())
    upload.name = "台帳.xlsx"
    with translation.override("ja"):
        checked = client.post("/systems/import/", {"file": upload})
    assert checked.status_code == 200
    assert checked.context["counts"] == {"add": 0, "change": 1, "same": 1}
    assert InformationSystem.objects.get(code="S-001").notes == ""
    done = client.post("/systems/import/", {"payload": checked.context["payload"]})
    assert done.status_code == 302
    assert InformationSystem.objects.get(code="S-001").notes == "令和8年度に更新予定"
    # The payload is signed: altered, it is refused and nothing changes.
    tampered = client.post("/systems/import/", {"payload": checked.context["payload"][:-3] + "abc"})
    assert tampered.status_code == 302
    # Not an Excel file: said so, nothing saved, no 500.
    junk = io.BytesIO(b"not a workbook")
    junk.name = "x.xlsx"
    with translation.override("ja"):
        refused = client.post("/systems/import/", {"file": junk})
    assert refused.status_code == 200 and "Excel" in refused.content.decode()
    # The administrator of one system may not import the register.
    other = Client()
    sign_in(other, org.system_admin)
    assert other.get("/systems/import/").status_code == 403
    assert client.get("/systems/export/").status_code == 200

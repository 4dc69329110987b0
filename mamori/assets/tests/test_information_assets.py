"""The register of information assets that are not systems (情報資産台帳) on the tatebayashi preset:
classified in the policy's scheme with its handling rules, a responsible manager, history, Excel."""

import io

import pytest
from django.test import Client
from django.utils import translation
from openpyxl import load_workbook

from mamori.conftest import sign_in
from mamori.incidents.errors import Invalid
from mamori.journal.models import JournalEntry

from .. import access
from ..information_assets import AssetInput, create_asset, update_asset
from ..models import InformationAsset
from ..workbook import ASSETS_SHEET

pytestmark = pytest.mark.django_db


def ledger(register, **changes) -> AssetInput:
    data = AssetInput(
        code="A-001",
        name="救急活動記録票（紙）",
        kind="paper",
        owner_department=register.department,
        manager=register.org.security_manager,
        location="警防課 書庫（施錠）",
        classification={"confidentiality": "3B", "integrity": "2", "availability": "1", "importance": "IV"},
        personal_data=True,
        personal_data_count=4800,
    )
    for key, value in changes.items():
        setattr(data, key, value)
    return data


def test_an_asset_is_classified_kept_by_its_manager_and_its_history_kept(register):
    org = register.org
    asset = create_asset(org.organization, actor=org.chief_security_officer, data=ledger(register))
    assert {a.code for a in access.assets_for(org.security_manager)} == {"A-001"}  # their own
    assert not access.assets_for(org.staff).exists()
    with pytest.raises(Invalid) as caught, translation.override("ja"):
        create_asset(
            org.organization,
            actor=org.chief_security_officer,
            data=ledger(register, name="重複", classification={}),
        )
    assert "code" in caught.value.fields and "class_confidentiality" in caught.value.fields
    update_asset(asset, actor=org.security_manager, data=ledger(register, location="警防課 金庫"))
    change = JournalEntry.objects.get(action="asset.changed")
    assert change.data["changes"] == {"location": {"from": "警防課 書庫（施錠）", "to": "警防課 金庫"}}

    client = Client()
    sign_in(client, org.security_manager)
    with translation.override("ja"):
        page = client.get(f"/systems/assets/{asset.pk}/")
    text = page.content.decode()
    assert (
        page.status_code == 200 and "重要度IV" in text and "使用を認められた特定の個人に限定" in text
    )  # 別表2
    assert "警防課 金庫" in text
    assert client.get("/systems/assets/new/").status_code == 403  # adding is the register keeper's

    keeper = Client()
    sign_in(keeper, org.chief_security_officer)
    with translation.override("ja"):
        download = keeper.get("/systems/assets/export/")
    sheet = load_workbook(io.BytesIO(download.content))[ASSETS_SHEET]
    rows = list(sheet.iter_rows(values_only=True))
    header = rows[0]
    row = dict(zip(header, rows[1], strict=True))
    assert (
        row["管理番号"] == "A-001" and row["種別"] == "紙の文書" and row["重要度"]
        if "重要度" in header
        else True
    )
    assert row["管理責任者"] == f"{org.security_manager.get_full_name()} ({org.security_manager.username})"
    assert JournalEntry.objects.filter(action="assets.exported").count() == 1


def test_the_asset_register_round_trips_through_excel(register, tmp_path):
    org = register.org
    create_asset(org.organization, actor=org.chief_security_officer, data=ledger(register))
    client = Client()
    sign_in(client, org.chief_security_officer)
    with translation.override("ja"):
        book = load_workbook(io.BytesIO(client.get("/systems/assets/export/").content))
    sheet = book[ASSETS_SHEET]
    column = {c.value: i + 1 for i, c in enumerate(sheet[1])}
    sheet.cell(row=2, column=column["保管場所"], value="警防課 金庫")
    sheet.append({column["管理番号"]: "A-002", column["名称"]: "住民票写し（電子）", column["種別"]: "電子データ",
                  column["情報システム"]: "S-001 消防指令システム", column["機密性"]: "機密性3A", column["完全性"]: "完全性2",
                  column["可用性"]: "可用性2"})  # fmt: skip
    content = io.BytesIO()
    book.save(content)
    upload = io.BytesIO(content.getvalue())
    upload.name = "資産台帳.xlsx"
    with translation.override("ja"):
        checked = client.post("/systems/assets/import/", {"file": upload})
    assert checked.status_code == 200, checked.content.decode()[:2000]
    assert checked.context["counts"] == {"add": 1, "change": 1, "same": 0}
    assert not InformationAsset.objects.filter(code="A-002").exists()  # the dry run saved nothing
    done = client.post("/systems/assets/import/", {"payload": checked.context["payload"]})
    assert done.status_code == 302
    added = InformationAsset.objects.get(code="A-002")
    assert added.system == register.dispatch and added.kind == "data"
    assert InformationAsset.objects.get(code="A-001").location == "警防課 金庫"
    # A bad row: nothing saved, the row and column said.
    sheet.append({column["管理番号"]: "A-003", column["名称"]: "x", column["種別"]: "宝物", column["機密性"]: "機密性1",
                  column["完全性"]: "完全性1", column["可用性"]: "可用性1"})  # fmt: skip
    bad = tmp_path / "bad.xlsx"
    book.save(bad)
    with translation.override("ja"), bad.open("rb") as handle:
        refused = client.post("/systems/assets/import/", {"file": handle})
    assert refused.status_code == 400
    assert any(e.column == "種別" for e in refused.context["errors"])

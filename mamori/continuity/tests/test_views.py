"""The pages of the plan through Django's test client: who may open what, bad input answered in Japanese
with nothing saved, the checklist and vendor requests, the Word report opened back."""

import io
from datetime import timedelta

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from docx import Document

from mamori.conftest import PASSWORD, sign_in
from mamori.continuity.models import Emergency, RecoveryItem, RollCallEntry, VendorRequest
from mamori.continuity.services import Declaration, declare, end
from mamori.people.models import Role
from mamori.people.services import assign_role, create_person

from .conftest import add_system

pytestmark = pytest.mark.django_db


def client_for(person) -> Client:
    client = Client()
    sign_in(client, person)
    return client


@pytest.fixture
def quake(katsushika):
    add_system(katsushika, "S-9", "財務会計システム", "1", vendor="B社")
    add_system(katsushika, "S-1", "住民記録システム", "2", vendor="A社", vendor_contact="03-1111-2222")
    return declare(
        katsushika.organization,
        Declaration(kind="earthquake", intensity="6+", occurred_at=timezone.now() - timedelta(minutes=10)),
        actor=katsushika.chief_system_officer,
    )


def test_staff_outside_the_plan_see_nothing_of_it(katsushika, quake):
    staff = client_for(katsushika.staff)
    assert staff.get("/emergencies/").status_code == 403
    assert staff.get(f"/emergencies/{quake.pk}/").status_code == 404
    assert staff.get("/emergencies/declare/").status_code == 403
    page = staff.get("/").content.decode()
    assert "緊急事態 発令中" not in page
    member = client_for(katsushika.infrastructure_team)
    page = member.get("/").content.decode()
    assert "緊急事態 発令中" in page and quake.reference in page
    assert member.get("/emergencies/declare/").status_code == 403  # a team member does not declare


def test_a_declaration_with_errors_is_shown_again_and_saves_nothing(katsushika):
    chief = client_for(katsushika.chief_system_officer)
    response = chief.post(
        "/emergencies/declare/",
        {"kind": "earthquake", "intensity": "", "occurred_at": "2026-12-06T09:00", "scope": "x"},
    )
    assert response.status_code == 400
    assert "震度を入力してください。" in response.content.decode()
    response = chief.post("/emergencies/declare/", {"kind": "earthquake", "occurred_at": "not a time"})
    assert response.status_code == 400
    assert not Emergency.objects.exists()
    response = chief.post(
        "/emergencies/declare/",
        {
            "kind": "flood",
            "headquarters": "on",
            "occurred_at": timezone.localtime().strftime("%Y-%m-%dT%H:%M"),
        },
    )
    assert response.status_code == 302
    emergency = Emergency.objects.get()
    assert emergency.convening["convene"] == "all" and emergency.convening["basis"] == "ICT-BCP 5(1)ア(イ)"


def test_a_colleague_records_an_answer_taken_by_phone(katsushika, quake):
    entry = RollCallEntry.objects.get(emergency=quake, person=katsushika.deputy_3)
    liaison = client_for(katsushika.liaison_team)
    url = f"/emergencies/{quake.pk}/rollcall/{entry.pk}/"
    assert liaison.get(url).status_code == 200
    response = liaison.post(url, {"safety": "safe", "family": "safe", "convening": "later"})
    assert response.status_code == 400
    assert "参集できる見込みの日時を入力してください。" in response.content.decode()
    arrives = (timezone.localtime() + timedelta(hours=3)).strftime("%Y-%m-%dT%H:%M")
    response = liaison.post(
        url, {"safety": "safe", "family": "safe", "convening": "later", "arrives_at": arrives}
    )
    assert response.status_code == 302
    entry.refresh_from_db()
    assert (entry.answered_via, entry.answered_by) == ("proxy", katsushika.liaison_team)
    # Someone outside the division may not.
    assert client_for(katsushika.csirt_member).get(url).status_code == 403


def test_the_link_without_login(katsushika, quake):
    client = Client()
    assert client.get("/rollcall/0123456789abcdef/").status_code == 404
    assert "無効" in client.get("/rollcall/0123456789abcdef/").content.decode()


def test_recovery_checklist_conflicts_and_vendor_requests(katsushika, quake):
    item = RecoveryItem.objects.get(emergency=quake, system__code="S-1")
    infra = client_for(katsushika.infrastructure_team)
    url = f"/emergencies/{quake.pk}/recovery/{item.pk}/"
    response = infra.post(url, {"status": "interim", "damage": "紙で受付", "version": 1})
    assert response.status_code == 302
    # Someone who opened the page before that change is told so; their change is not saved.
    response = infra.post(url, {"status": "recovered", "version": 1})
    assert response.status_code == 400
    assert "他の人がこのシステムの状況を更新しました" in response.content.decode()
    item.refresh_from_db()
    assert (item.status, item.version) == ("interim", 2)
    response = infra.post(url + "vendor/", {"vendor": "A社", "contact": "03-1111-2222", "request": ""})
    assert response.status_code == 400
    assert not VendorRequest.objects.exists()
    response = infra.post(
        url + "vendor/", {"vendor": "A社", "contact": "03-1111-2222", "request": "サーバ再起動の立会い"}
    )
    assert response.status_code == 302
    made = VendorRequest.objects.get()
    response = infra.post(
        f"/emergencies/{quake.pk}/vendor-requests/{made.pk}/answer/", {"response": "14時に到着予定"}
    )
    assert response.status_code == 302
    made.refresh_from_db()
    assert made.response == "14時に到着予定"


def test_the_report_to_the_headquarters_opens_in_word(katsushika, quake):
    item = RecoveryItem.objects.get(emergency=quake, system__code="S-9")
    client_for(katsushika.business_system_team).post(
        f"/emergencies/{quake.pk}/recovery/{item.pk}/",
        {"status": "damaged", "damage": "サーバ停止", "version": 1},
    )
    response = client_for(katsushika.liaison_team).get(f"/emergencies/{quake.pk}/report.docx")
    assert response.status_code == 200
    document = Document(io.BytesIO(response.content))
    text = "\n".join(p.text for p in document.paragraphs)
    assert "情報システムの被害・復旧状況報告" in text
    assert "葛飾区災害対策本部" in text
    facts, rollcall, recovery = document.tables[0], document.tables[1], document.tables[2]
    assert any(row.cells[1].text == "E2026-001 地震 震度6強" for row in facts.rows)
    assert [row.cells[0].text for row in rollcall.rows] == [
        "チーム", "指揮（電算機管理者・代行者）", "連絡調整チーム", "インフラチーム", "業務システムチーム",
    ]  # fmt: skip
    # In the order of recovery: 可用性2 first.
    assert [row.cells[1].text for row in recovery.rows[1:]] == ["住民記録システム", "財務会計システム"]
    assert recovery.rows[2].cells[2].text == "被害あり（停止）"


def test_ending_twice_is_refused(katsushika, quake):
    chief = client_for(katsushika.chief_system_officer)
    assert chief.post(f"/emergencies/{quake.pk}/end/", {"note": "余震収束"}).status_code == 302
    response = chief.post(f"/emergencies/{quake.pk}/end/", {"note": ""})
    assert response.status_code == 400
    assert "既に解除されています" in response.content.decode()


def test_the_board_costs_the_same_queries_for_a_larger_division(katsushika, quake):
    def queries() -> int:
        client = client_for(katsushika.chief_system_officer)
        with CaptureQueriesContext(connection) as captured:
            assert client.get(f"/emergencies/{quake.pk}/").status_code == 200
        return len(captured)

    before = queries()
    role = Role.objects.get(organization=katsushika.organization, key="infrastructure_team")
    people = [
        create_person(
            katsushika.organization,
            actor="test",
            username=f"extra-{n}",
            display_name=f"応援{n}",
            password=PASSWORD,
        )
        for n in range(10)
    ]
    for n, person in enumerate(people, start=3):
        assign_role(role, person, actor="test", order=n)
    end(quake, actor=katsushika.chief_system_officer)  # one emergency in force at a time, as before
    bigger = declare(
        katsushika.organization,
        Declaration(kind="earthquake", intensity="7", occurred_at=timezone.now()),
        actor=katsushika.chief_system_officer,
    )
    quake.pk = bigger.pk
    assert RollCallEntry.objects.filter(emergency=bigger).count() == 23
    assert queries() == before


def test_the_board_says_whose_message_did_not_get_through_and_lists_the_vendors(
    katsushika, smtp_server, settings
):
    from mamori.continuity import rollcall

    settings.MAMORI_PAGE_CHANNELS = ["email"]
    add_system(katsushika, "S-1", "住民記録システム", "2", vendor="A社", vendor_contact="03-1111-2222")
    add_system(katsushika, "S-2", "税務システム", "2", vendor="A社", vendor_contact="03-1111-2222")
    smtp_server.mailbox.refuse.add(katsushika.deputy_3.email)
    emergency = declare(
        katsushika.organization,
        Declaration(kind="earthquake", intensity="6-", occurred_at=timezone.now()),
        actor=katsushika.chief_system_officer,
    )
    assert rollcall.send_due() == 12
    page = client_for(katsushika.liaison_team).get(f"/emergencies/{emergency.pk}/").content.decode()
    row = next(r for r in page.split("<tr>") if str(katsushika.deputy_3) in r and "参集対象" in r)
    assert "通知が届きません。電話で確認してください" in row
    assert page.count("通知済み") == 12
    vendors = page[page.index('id="vendors"') :]
    assert "A社" in vendors and "03-1111-2222" in vendors and "住民記録システム、税務システム" in vendors

"""The committee's yearly report: the statistics' figures in Word, opened back with python-docx."""

from datetime import date

import pytest
import time_machine
from django.urls import reverse

from mamori.audits.services import record_plan_approval, schedule_audit
from mamori.audits.services import save_plan as save_audit_plan
from mamori.conftest import make_org, sign_in
from mamori.documents.tests.test_incident_documents import document_text
from mamori.journal.models import JournalEntry
from mamori.people.services import create_department, update_person
from mamori.training.services import SessionInput, record_approval, record_session, save_plan, start_drill

from .steps import jst, reported, triaged


def test_committee_report_carries_the_years_figures(komae, client):
    for day in (1, 2, 3):
        incident = reported(komae, jst(2026, 5, day, 9, 0))
        triaged(komae, incident, jst(2026, 5, day, 11, 0), level=2)
    reported(komae, jst(2027, 4, 1, 0, 0))  # FY2027: not in this report
    sign_in(client, komae.csirt_head)
    response = client.get(reverse("statistics:committee", args=[2026]))
    assert response.status_code == 200
    text = document_text(response.content)
    assert "令和8年度 情報セキュリティインシデント対応状況報告" in text
    assert "令和8年4月1日〜令和9年3月31日" in text
    assert "3件" in text  # three incidents in FY2026
    assert "2.0時間" in text  # report to triage: two hours each
    assert "研修・訓練の実施状況" in text and "監査及び自己点検の結果" in text
    assert "{{" not in text and "{%" not in text
    entry = JournalEntry.objects.filter(action="document.generated").get()
    assert entry.data == {"kind": "committee_yearly", "fiscal_year": 2026, "format": "docx"}


def test_committee_report_is_for_view_all_only(komae, client):
    sign_in(client, komae.staff)
    assert client.get(reverse("statistics:committee", args=[2026])).status_code == 404


@pytest.mark.django_db
def test_committee_report_carries_the_training_audit_and_self_inspection_registers(client):
    """tatebayashi 5.2(2)⑥ (training reported to the committee every year), 9.1(5), 9.2(2)."""
    org = make_org("tatebayashi")
    keibou = create_department(org.organization, actor="test", name="警防課")
    soumu = create_department(org.organization, actor="test", name="総務課")
    update_person(org.csirt_manager, actor="test", department=soumu)
    update_person(org.staff, actor="test", department=keibou)
    with time_machine.travel(jst(2026, 12, 1, 10, 0), tick=False):
        plan = save_plan(
            org.organization,
            actor=org.ciso,
            fiscal_year=2026,
            title="令和8年度 研修計画",
            content="全職員研修ほか",
        )
        record_approval(plan, actor=org.ciso, approved_on=date(2026, 5, 20), reference="委員会")
        record_session(org.organization, actor=org.security_manager,
                       data=SessionInput(kind="course", title="全職員向け情報セキュリティ研修", held_on=date(2026, 6, 10), attendees=[org.staff]))  # fmt: skip
        exercise = record_session(org.organization, actor=org.chief_security_officer,
                                  data=SessionInput(kind="tabletop", title="標的型メール 机上訓練", held_on=date(2026, 11, 5)))  # fmt: skip
        drill = start_drill(exercise, actor=org.chief_security_officer, scenario="不審なメールを開いた")
        audit_plan = save_audit_plan(
            org.organization, actor=org.ciso, fiscal_year=2026, title="令和8年度 監査計画", scope="警防課"
        )
        record_plan_approval(audit_plan, actor=org.ciso, approved_on=date(2026, 6, 1), reference="委員会")
        schedule_audit(
            audit_plan,
            actor=org.ciso,
            department=keibou,
            auditor=org.csirt_manager,
            scheduled_on=date(2026, 10, 1),
        )
    sign_in(client, org.ciso)
    response = client.get(reverse("statistics:committee", args=[2026]))
    assert response.status_code == 200
    text = document_text(response.content)
    assert "「令和8年度 研修計画」（情報セキュリティ委員会の承認 令和8年5月20日）" in text
    assert "全職員向け情報セキュリティ研修" in text and "標的型メール 机上訓練" in text
    assert drill.reference in text  # the drill is in the training record …
    assert "訓練（件数に含めない）" in text  # … and counted apart from the incidents
    assert "警防課" in text and "100%" in text  # 警防課: its one person attended
    assert "令和8年度 監査計画" in text and "未実施" in text  # no self-inspection recorded yet
    assert "{{" not in text and "{%" not in text

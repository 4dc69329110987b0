"""Audits and self-inspections on the tatebayashi preset (9.1, 9.2): the plan approved by the committee,
an auditor independent of the audited department (enforced), the checklist from the policy, findings with
improvement plans and progress, the same finding checked in other departments, yearly self-inspections."""

from datetime import date

import pytest
from django.test import Client
from django.utils import translation

from mamori.assets.services import SystemInput, create_system
from mamori.conftest import make_org, sign_in
from mamori.incidents.errors import Invalid, NotAllowed, WrongState
from mamori.journal.models import JournalEntry
from mamori.journal.verify import verify_chain
from mamori.people.services import create_department, update_person

from ..models import Finding, FindingState
from ..services import (
    InspectionInput,
    add_finding,
    answer_spread,
    inspection_status,
    record_audit,
    record_plan_approval,
    record_self_inspection,
    report_progress,
    save_plan,
    schedule_audit,
    set_improvement_plan,
    spread_finding,
)

pytestmark = pytest.mark.django_db
ALL_CONFORM = [
    {"key": k, "result": "conforms", "note": ""}
    for k in ("assets", "physical", "people", "technical", "operation")
]


@pytest.fixture
def org(db):
    org = make_org("tatebayashi")
    org.keibou = create_department(org.organization, actor="test", name="警防課")
    org.soumu = create_department(org.organization, actor="test", name="総務課")
    org.yobou = create_department(org.organization, actor="test", name="予防課")
    update_person(
        org.security_manager, actor="test", department=org.keibou
    )  # 警防課's 情報セキュリティ管理者
    update_person(org.handler, actor="test", department=org.keibou)
    update_person(org.csirt_manager, actor="test", department=org.soumu)  # the auditor from elsewhere
    update_person(org.security_officer, actor="test", department=org.yobou)
    return org


def approved_plan(org):
    year = 2026
    plan = save_plan(org.organization, actor=org.ciso, fiscal_year=year, title="令和8年度 情報セキュリティ監査計画",
                     scope="警防課の情報資産管理と技術的対策を、チェックリストにより実地で監査する。")  # fmt: skip
    return record_plan_approval(plan, actor=org.ciso, approved_on=date(2026, 6, 1), reference="第1回委員会")


def test_an_auditor_from_the_audited_department_is_refused(org):
    plan = save_plan(org.organization, actor=org.ciso, fiscal_year=2026, title="計画", scope="範囲")
    with pytest.raises(WrongState):  # 9.1(3)①: approved by the committee first
        schedule_audit(
            plan,
            actor=org.ciso,
            department=org.keibou,
            auditor=org.csirt_manager,
            scheduled_on=date(2026, 10, 1),
        )
    plan = approved_plan(org)
    with pytest.raises(Invalid) as caught, translation.override("ja"):
        schedule_audit(
            plan, actor=org.ciso, department=org.keibou, auditor=org.handler, scheduled_on=date(2026, 10, 1)
        )
    assert "独立" in caught.value.fields["auditor"]
    with pytest.raises(Invalid):  # department unknown: independence cannot be shown
        schedule_audit(
            plan, actor=org.ciso, department=org.keibou, auditor=org.staff, scheduled_on=date(2026, 10, 1)
        )
    with pytest.raises(NotAllowed):
        schedule_audit(
            plan,
            actor=org.security_manager,
            department=org.soumu,
            auditor=org.handler,
            scheduled_on=date(2026, 10, 1),
        )
    audit = schedule_audit(
        plan, actor=org.ciso, department=org.keibou, auditor=org.csirt_manager, scheduled_on=date(2026, 10, 1)
    )
    assert audit.auditor == org.csirt_manager
    # Through the page, the same refusal in Japanese.
    client = Client()
    sign_in(client, org.ciso)
    with translation.override("ja"):
        page = client.post("/audits/?year=2026", {"year": 2026, "department": org.keibou.pk, "auditor": org.handler.username,
                                                   "scheduled_on": "2026-10-02"})  # fmt: skip
    assert page.status_code == 400 and "独立" in page.content.decode()


def test_findings_are_improved_and_checked_in_other_departments(org):
    audit = schedule_audit(approved_plan(org), actor=org.ciso, department=org.keibou, auditor=org.csirt_manager,
                           scheduled_on=date(2026, 10, 1))  # fmt: skip
    with pytest.raises(Invalid):  # every checklist item of the policy needs a result
        record_audit(
            audit, actor=org.csirt_manager, done_on=date(2026, 10, 1), results=ALL_CONFORM, summary=""
        )
    results = [
        *ALL_CONFORM,
        {"key": "outsourcing", "result": "does_not_conform", "note": "委託契約に遵守事項がない"},
    ]
    record_audit(
        audit, actor=org.csirt_manager, done_on=date(2026, 10, 1), results=results, summary="概ね良好"
    )
    finding = add_finding(
        audit,
        actor=org.csirt_manager,
        text="保守委託契約に情報セキュリティ遵守事項の条項がない",
        item="outsourcing",
    )

    with pytest.raises(NotAllowed):  # another department does not plan 警防課's improvement
        set_improvement_plan(finding, actor=org.security_officer, plan="…", due_on=None)
    set_improvement_plan(
        finding, actor=org.security_manager, plan="次回更新時に遵守事項を追加する", due_on=date(2027, 3, 31)
    )
    report_progress(finding, actor=org.security_manager, text="事業者と条文案を協議中")
    report_progress(finding, actor=org.security_manager, text="変更契約を締結した", completed=True)
    finding.refresh_from_db()
    assert finding.state == FindingState.CLOSED and finding.progress.count() == 2

    # 9.1(7)②: the same problem may be in 予防課 and 総務課.
    spread = {
        f.department.name: f
        for f in spread_finding(finding, actor=org.ciso, departments=[org.yobou, org.soumu, org.keibou])
    }
    assert set(spread) == {"予防課", "総務課"}
    answer_spread(spread["予防課"], actor=org.security_officer, present=True, note="同様の契約が1件あった")
    answer_spread(spread["総務課"], actor=org.csirt_manager, present=False, note="該当する契約はない")
    states = dict(Finding.objects.filter(origin=finding).values_list("department__name", "state"))
    assert states == {"予防課": FindingState.OPEN, "総務課": FindingState.ABSENT}
    assert JournalEntry.objects.filter(action="finding.checked").count() == 2
    assert verify_chain()[1] is None


def test_self_inspections_each_fiscal_year(org):
    dispatch = create_system(org.organization, actor=org.chief_security_officer,
                             data=SystemInput(code="S-001", name="消防指令システム", administrator=org.system_admin,
                                              classification={"confidentiality": "3B", "integrity": "2", "availability": "2"}))  # fmt: skip
    results = [*ALL_CONFORM, {"key": "outsourcing", "result": "not_applicable", "note": ""}]
    record_self_inspection(
        org.organization,
        actor=org.system_admin,
        data=InspectionInput(done_on=date(2026, 11, 1), results=results, system=dispatch),
    )
    record_self_inspection(
        org.organization,
        actor=org.security_manager,
        data=InspectionInput(done_on=date(2026, 11, 2), results=results, department=org.keibou),
    )
    with pytest.raises(WrongState):
        record_self_inspection(
            org.organization,
            actor=org.security_manager,
            data=InspectionInput(done_on=date(2027, 2, 2), results=results, department=org.keibou),
        )
    with pytest.raises(NotAllowed):  # a system is inspected by its own administrator
        record_self_inspection(
            org.organization,
            actor=org.security_manager,
            data=InspectionInput(done_on=date(2026, 11, 3), results=results, system=dispatch),
        )
    status = {row.subject: row.inspection is not None for row in inspection_status(org.organization, 2026)}
    assert status == {"予防課": False, "総務課": False, "警防課": True, "S-001 消防指令システム": True}
    client = Client()
    sign_in(client, org.ciso)
    with translation.override("ja"):
        page = client.get("/audits/?year=2026")
    assert page.status_code == 200 and "消防指令システム" in page.content.decode()
    assert "未実施" in page.content.decode()

"""Each preset walked through its own regulation."""

import pytest

from mamori.incidents import response, services
from mamori.incidents.choices import State
from mamori.incidents.errors import Invalid
from mamori.incidents.tests.scenario import close, report, triage
from mamori.intake.choices import Channel
from mamori.intake.services import ReportInput, submit_report
from mamori.people.models import Role
from mamori.policy.services import active_policy

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("preset_org", ["komae"], indirect=True)
def test_komae_level3_ransomware_tells_the_csirt_head_at_once(preset_org):
    """komae 第10条第2項: level 2 or 3 → report to the CSIRT責任者 without delay; 第5条第2号: the CISO for level 3."""
    org = preset_org
    incident = triage(
        org,
        report(org, description="ファイルサーバの共有フォルダが暗号化され身代金要求画面が表示された"),
        level=3,
        category="cyber_attack",
    )
    head = incident.obligations.get(key="notify:csirt_head")
    assert head.kind == "notify" and head.role_key == "csirt_head"
    assert head.basis == "要綱第10条第2項"
    assert "CSIRT責任者" in head.text and head.due_at is None  # 速やかに: at once, shown as such
    assert incident.obligations.filter(key="notify:ciso").exists()
    assert incident.obligations.get(key="publication").basis == "要綱第12条"


@pytest.mark.parametrize("preset_org", ["komae"], indirect=True)
def test_komae_level1_tells_nobody_outside_the_csirt(preset_org):
    org = preset_org
    incident = triage(org, report(org), level=1, category="cyber_attack")
    assert not incident.obligations.filter(kind="notify").exists()


@pytest.mark.parametrize("preset_org", ["mutsu"], indirect=True)
def test_mutsu_report_missing_discovery_time_is_refused(preset_org):
    """mutsu 別表第1: いつ・どこで・何が・発見者と連絡先 must be given."""
    org = preset_org
    data = ReportInput(
        description="庁内ネットワークが使えない",
        location="本庁舎2階",
        reporter_name="佐藤",
        reporter_contact="内線2141",
    )
    with pytest.raises(Invalid) as exc:
        submit_report(org.organization, data, channel=Channel.PUBLIC_FORM)
    assert set(exc.value.fields) == {"discovered_at"}


@pytest.mark.parametrize("preset_org", ["mutsu"], indirect=True)
def test_mutsu_flow_and_categories(preset_org):
    org = preset_org
    policy = active_policy(org.organization)
    assert [c.label for c in policy.categories] == [
        "情報システムの停止等",
        "外部からのサイバー攻撃",
        "盗難・紛失",
    ]
    assert {p.key for p in policy.phases} >= {
        "detection",
        "triage",
        "initial_response",
        "reporting",
        "closure",
    }
    incident = close(org, triage(org, report(org), level=2, category="theft_or_loss"))
    assert incident.state == State.CLOSED


@pytest.mark.parametrize("preset_org", ["edogawa"], indirect=True)
def test_edogawa_emergency_disconnection_before_approval_is_flagged_for_the_after_report(preset_org):
    """edogawa 基準第27条第1項第2号: the 運用管理者 may cut the network at once and report afterwards."""
    org = preset_org
    incident = report(org, description="サーバから外部へ大量の通信")
    assert incident.state == State.RECEIVED  # nobody has approved anything yet
    emergency = active_policy(org.organization).emergency_actions[0]
    operator = org.people[emergency.by[0]]
    response.record_action(
        incident,
        actor=operator,
        expected_version=incident.version,
        phase="containment",
        description="ネットワークから切断した",
        emergency_action=emergency.key,
    )
    ob = incident.obligations.get(kind="after_report")
    assert ob.role_key == emergency.report_after_to[0]
    assert "第27条" in ob.basis and ob.done_at is None


@pytest.mark.parametrize("preset_org", ["edogawa"], indirect=True)
def test_edogawa_asks_for_content_cause_and_impact(preset_org):
    org = preset_org
    items = active_policy(org.organization).poc.required_items.items
    assert {"description", "suspected_cause", "impact_scope"} <= set(items)
    with pytest.raises(Invalid) as exc:
        submit_report(
            org.organization, ReportInput(description="障害"), channel=Channel.STAFF_FORM, actor=org.staff
        )
    assert {"suspected_cause", "impact_scope"} <= set(exc.value.fields)


@pytest.mark.parametrize("preset_org", ["tatebayashi"], indirect=True)
def test_tatebayashi_personal_data_lists_the_ppc(preset_org):
    """tatebayashi 5.3(1)④: a leak of personal data is reported to the 個人情報保護委員会."""
    org = preset_org
    incident = triage(org, report(org), level=2, personal_data=True)
    ppc = incident.obligations.get(kind="outside_body", text__contains="個人情報保護委員会")
    assert "5.3(1)④" in ppc.basis
    bodies = {b.name for b in active_policy(org.organization).outside_bodies}
    assert any("総務省" in b for b in bodies) and any("群馬県" in b for b in bodies)


@pytest.mark.parametrize("preset_org", ["katsushika"], indirect=True)
def test_katsushika_deputy_chain_is_ordered(preset_org):
    """katsushika 5(1)ア: 代行者1 → 2 → 3."""
    policy = active_policy(preset_org.organization)
    chains = [r.deputies for r in policy.roles if len(r.deputies) >= 3]
    assert chains and chains[0][:3] == ["deputy_1", "deputy_2", "deputy_3"]
    assert Role.objects.filter(organization=preset_org.organization, key="deputy_3").exists()


@pytest.mark.parametrize(
    "preset_org", ["komae", "mutsu", "tatebayashi", "katsushika", "edogawa"], indirect=True
)
def test_every_preset_can_take_an_incident_from_report_to_closure(preset_org):
    incident = close(preset_org, triage(preset_org, report(preset_org), level=3))
    assert incident.state == State.CLOSED
    assert services.policy_of(incident).organization.key == preset_org.organization.key

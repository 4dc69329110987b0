"""Triage: is it an incident, which category, which level — by the organisation's own criteria."""

import pytest

from mamori.incidents import services
from mamori.incidents.choices import State
from mamori.incidents.errors import Invalid, NotAllowed, WrongState
from mamori.incidents.models import LevelChange
from mamori.journal.models import JournalEntry

from .scenario import report, triage

pytestmark = pytest.mark.django_db


def test_a_report_opens_an_incident_in_the_queue_with_a_fiscal_year_reference(komae):
    incident = report(komae)
    assert incident.state == State.RECEIVED
    assert incident.reference == incident.reports.get().reference
    assert incident.reference.startswith("R") and incident.reference.endswith("-0001")


def test_not_an_incident_is_closed_with_the_reason(komae):
    incident = report(komae)
    incident = services.triage(
        incident,
        actor=komae.csirt_manager,
        expected_version=incident.version,
        is_incident=False,
        reason="迷惑メールであり添付は開封されていない",
    )
    assert incident.state == State.NOT_INCIDENT
    assert incident.closed_at is not None
    assert "迷惑メール" in incident.triage_reason
    assert not incident.obligations.exists()


def test_not_an_incident_needs_a_reason(komae):
    incident = report(komae)
    with pytest.raises(Invalid) as exc:
        services.triage(
            incident,
            actor=komae.csirt_manager,
            expected_version=incident.version,
            is_incident=False,
            reason=" ",
        )
    assert "reason" in exc.value.fields


def test_level_and_category_must_come_from_the_policy(komae):
    incident = report(komae)
    with pytest.raises(Invalid) as exc:
        services.triage(
            incident,
            actor=komae.csirt_manager,
            expected_version=incident.version,
            is_incident=True,
            reason="確認",
            category="earthquake",
            level=7,
        )
    assert set(exc.value.fields) == {"category", "level"}


def test_only_the_roles_the_policy_names_may_triage(komae):
    """komae 第10条第1項: the CSIRT管理者 classifies; a handler or a staff member may not."""
    incident = report(komae)
    for person in (komae.handler, komae.staff, komae.system_admin):
        with pytest.raises(NotAllowed):
            services.triage(
                incident,
                actor=person,
                expected_version=incident.version,
                is_incident=True,
                reason="x",
                category="cyber_attack",
                level=1,
            )


def test_every_level_change_is_kept_with_who_when_and_why(komae):
    incident = triage(komae, report(komae), level=1)
    incident = services.change_level(
        incident,
        actor=komae.csirt_manager,
        expected_version=incident.version,
        level=3,
        reason="住民情報を扱うサーバへの感染拡大を確認",
    )
    changes = list(
        LevelChange.objects.filter(incident=incident).values_list("from_level", "to_level", "reason")
    )
    assert changes == [
        (None, 1, "端末のログで不審な通信を確認した"),
        (1, 3, "住民情報を扱うサーバへの感染拡大を確認"),
    ]
    assert (
        JournalEntry.objects.filter(action="incident.level_changed", object_id=str(incident.pk)).count() == 2
    )


def test_raising_the_level_adds_what_the_new_level_requires(komae):
    incident = triage(komae, report(komae), level=1)
    assert not incident.obligations.filter(key="notify:csirt_head").exists()
    incident = services.change_level(
        incident,
        actor=komae.csirt_manager,
        expected_version=incident.version,
        level=2,
        reason="被害範囲を特定",
    )
    ob = incident.obligations.get(key="notify:csirt_head")
    assert ob.basis == "要綱第10条第2項"
    # Lowering it again hides nothing that was owed.
    incident = services.change_level(
        incident, actor=komae.csirt_manager, expected_version=incident.version, level=0, reason="誤検知と判明"
    )
    assert incident.obligations.filter(key="notify:csirt_head").exists()


def test_a_level_change_needs_a_reason(komae):
    incident = triage(komae, report(komae), level=1)
    with pytest.raises(Invalid):
        services.change_level(
            incident, actor=komae.csirt_manager, expected_version=incident.version, level=2, reason=""
        )


def test_duplicate_reports_merge_into_one_incident(komae):
    first = report(komae, description="ホームページが改ざんされている")
    second = report(komae, by=komae.system_admin, description="トップページに見知らぬ画像が表示される")
    first = triage(komae, first)
    second.refresh_from_db()
    target = services.merge(second, actor=komae.csirt_manager, expected_version=second.version, into=first)
    second.refresh_from_db()
    assert target == first
    assert second.state == State.MERGED and second.merged_into == first
    assert sorted(first.reports.values_list("reference", flat=True)) == sorted(
        [first.reference, second.reference]
    )


def test_a_triaged_incident_cannot_be_triaged_again(komae):
    incident = triage(komae, report(komae))
    with pytest.raises(WrongState):
        services.triage(
            incident,
            actor=komae.csirt_manager,
            expected_version=incident.version,
            is_incident=False,
            reason="x",
        )


def test_the_handler_must_be_someone_who_may_respond(komae):
    incident = triage(komae, report(komae))
    with pytest.raises(Invalid):
        services.assign_handler(
            incident, actor=komae.csirt_manager, expected_version=incident.version, handler=komae.staff
        )
    incident = services.assign_handler(
        incident, actor=komae.csirt_manager, expected_version=incident.version, handler=komae.handler
    )
    assert incident.handler == komae.handler

"""The lifecycle table: closing needs root cause, prevention, summary, the checklist and the
publication decision; reopening needs a reason; a closed incident refuses edits; concurrent edits conflict."""

import pytest

from mamori.incidents import access, response, services
from mamori.incidents.choices import State
from mamori.incidents.errors import Conflict, Invalid, NotAllowed, WrongState
from mamori.incidents.transitions import TRANSITIONS
from mamori.journal.models import JournalEntry
from mamori.journal.verify import verify_chain
from mamori.paging.models import Escalation
from mamori.people.models import Role
from mamori.people.services import assign_role

from .scenario import act, close, finish_checklist, report, triage

pytestmark = pytest.mark.django_db


def test_report_to_closure_every_step_journaled(komae):
    incident = report(komae)
    incident = triage(komae, incident)
    act(komae, incident)
    incident = close(komae, incident)
    assert incident.state == State.CLOSED and incident.closed_at
    actions = list(
        JournalEntry.objects.filter(object_id=str(incident.pk), object_type="incidents.incident").values_list(
            "action", flat=True
        )
    )
    for expected in (
        "incident.opened",
        "incident.triaged",
        "incident.level_changed",
        "incident.obligations_listed",
        "incident.start_recovery",
        "incident.start_prevention",
        "incident.publication_decided",
        "incident.close",
    ):
        assert expected in actions
    assert verify_chain()[1] is None


def test_closing_requires_root_cause_prevention_and_summary(komae):
    incident = triage(komae, report(komae))
    for name in ("start_recovery", "start_prevention"):
        incident = services.transition(incident, name, actor=komae.handler, expected_version=incident.version)
    finish_checklist(komae, incident)
    incident.refresh_from_db()
    with pytest.raises(Invalid) as exc:
        services.transition(
            incident,
            "close",
            actor=komae.csirt_manager,
            expected_version=incident.version,
            summary="",
            root_cause=" ",
            prevention_measures="",
        )
    assert set(exc.value.fields) == {"summary", "root_cause", "prevention_measures"}


def test_closing_requires_the_checklist_and_the_publication_decision(komae):
    incident = triage(komae, report(komae))
    for name in ("start_recovery", "start_prevention"):
        incident = services.transition(incident, name, actor=komae.handler, expected_version=incident.version)
    with pytest.raises(Invalid) as exc:
        services.transition(
            incident,
            "close",
            actor=komae.csirt_manager,
            expected_version=incident.version,
            summary="s",
            root_cause="r",
            prevention_measures="p",
        )
    assert {"obligations", "publication_decision"} <= set(exc.value.fields)


def test_publication_is_requested_and_approved_by_the_csirt_head_only(komae):
    """komae 第12条第1項: the CSIRT管理者 reports and obtains the approval of the CSIRT責任者."""
    incident = triage(komae, report(komae))
    approval = services.request_publication(
        incident,
        actor=komae.csirt_manager,
        expected_version=incident.version,
        decision="publish",
        reason="市民への影響があり得るため公表する",
    )
    assert Escalation.objects.get(key=f"approval:{approval.pk}").role_key == "csirt_head"
    with pytest.raises(NotAllowed):
        services.decide_approval(approval, actor=komae.handler, approve=True)  # not the role the policy names
    services.decide_approval(approval, actor=komae.csirt_head, approve=True, comment="ホームページで公表")
    incident.refresh_from_db()
    assert incident.publication_decision == "publish"
    assert incident.obligations.get(key="publication").done_by == komae.csirt_head


@pytest.mark.parametrize("preset_org", ["tatebayashi"], indirect=True)
def test_nobody_approves_their_own_request(preset_org):
    """tatebayashi 1(8) 兼務の禁止: the one who asks is not the one who approves."""
    org = preset_org
    incident = triage(org, report(org))
    # The CISO (who approves, 1(1)①) also serves as a CSIRT handler, so may request decisions too.
    approver = next(p for p in org.people.values() if access.can(p, "approve_publication"))
    assign_role(
        Role.objects.get(organization=org.organization, key="handler"), approver, actor="test", order=1
    )
    approver = type(approver).objects.get(pk=approver.pk)  # forget cached permissions
    approval = services.request_publication(
        incident,
        actor=approver,
        expected_version=incident.version,
        decision="not_publish",
        reason="個人が特定されない",
    )
    with pytest.raises(NotAllowed):
        services.decide_approval(approval, actor=approver, approve=True)
    approval.refresh_from_db()
    assert approval.state == "pending"


def test_a_rejection_needs_a_reason_and_leaves_the_decision_open(komae):
    incident = triage(komae, report(komae))
    approval = services.request_publication(
        incident,
        actor=komae.csirt_manager,
        expected_version=incident.version,
        decision="not_publish",
        reason="影響なし",
    )
    with pytest.raises(Invalid):
        services.decide_approval(approval, actor=komae.csirt_head, approve=False, comment="")
    services.decide_approval(approval, actor=komae.csirt_head, approve=False, comment="住民への説明が必要")
    incident.refresh_from_db()
    assert incident.publication_decision == "" and not incident.obligations.get(key="publication").done_at
    assert JournalEntry.objects.filter(action="approval.rejected").exists()


def test_transitions_follow_the_table(komae):
    incident = triage(komae, report(komae))
    with pytest.raises(WrongState):
        services.transition(
            incident,
            "close",
            actor=komae.csirt_manager,
            expected_version=incident.version,
            summary="s",
            root_cause="r",
            prevention_measures="p",
        )
    with pytest.raises(WrongState):
        services.transition(
            incident, "reopen", actor=komae.csirt_manager, expected_version=incident.version, reason="x"
        )
    assert TRANSITIONS["close"].sources == (State.PREVENTING,)


def test_reopening_needs_a_reason_and_a_permitted_role(komae):
    incident = close(komae, triage(komae, report(komae)))
    with pytest.raises(Invalid):
        services.transition(
            incident, "reopen", actor=komae.csirt_manager, expected_version=incident.version, reason=""
        )
    with pytest.raises(NotAllowed):
        services.transition(
            incident, "reopen", actor=komae.handler, expected_version=incident.version, reason="再発"
        )
    incident = services.transition(
        incident,
        "reopen",
        actor=komae.csirt_manager,
        expected_version=incident.version,
        reason="同じ端末から再び不審な通信",
    )
    assert incident.state == State.RESPONDING and incident.closed_at is None


def test_a_closed_incident_refuses_new_actions(komae):
    incident = close(komae, triage(komae, report(komae)))
    with pytest.raises(WrongState):
        response.record_action(
            incident,
            actor=komae.handler,
            expected_version=incident.version,
            phase="recovery",
            description="追加の作業",
        )


def test_concurrent_edit_of_a_closed_incident_is_a_clear_conflict(komae):
    """Two managers open the closed incident; the first reopens it; the second's stale form is refused."""
    incident = close(komae, triage(komae, report(komae)))
    seen_by_both = incident.version
    services.transition(
        incident, "reopen", actor=komae.csirt_manager, expected_version=seen_by_both, reason="再発の疑い"
    )
    with pytest.raises(Conflict) as exc:
        services.transition(
            incident, "reopen", actor=komae.csirt_head, expected_version=seen_by_both, reason="別の理由"
        )
    assert exc.value.status == 409
    incident.refresh_from_db()
    assert incident.state == State.RESPONDING
    reopen_entries = JournalEntry.objects.filter(action="incident.reopen", object_id=str(incident.pk))
    assert [e.data["reason"] for e in reopen_entries] == ["再発の疑い"]


def test_stale_version_loses_no_update(komae):
    incident = triage(komae, report(komae))
    stale = incident.version
    services.change_level(
        incident, actor=komae.csirt_manager, expected_version=stale, level=2, reason="範囲特定"
    )
    with pytest.raises(Conflict):
        services.change_level(
            incident, actor=komae.csirt_head, expected_version=stale, level=1, reason="軽微"
        )
    incident.refresh_from_db()
    assert incident.level == 2


def test_drill_flag_is_kept(komae):
    incident = triage(komae, report(komae), is_drill=True)
    assert incident.is_drill


def test_timeline_shows_the_lifecycle_steps_from_the_journal(komae):
    from mamori.incidents.services import policy_of
    from mamori.incidents.timeline import build_timeline

    incident = close(komae, triage(komae, report(komae)))
    timeline = build_timeline(incident, policy_of(incident))
    milestones = [e.phase for e in timeline if e.kind == "milestone"]
    assert milestones[0] == "triage" and milestones[-1] == "closure"
    assert {"recovery", "prevention", "reporting"} <= set(milestones)
    assert any("レベル3" in e.text or "3" in e.text for e in timeline if e.kind == "level")
    # Who did each step, by name (the journal's own name for the milestones).
    assert all(isinstance(e.who, str) and e.who for e in timeline)

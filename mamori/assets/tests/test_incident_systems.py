"""Incidents linked to systems on the tatebayashi preset: the affected systems' classes suggest the level
and the outside reports, each with its rule; one action asks the administrators of every system sharing
the affected software, vendor or segment to check (5.3(3)③), and their answers are kept."""

import pytest
from django.test import Client
from django.utils import translation

from mamori.conftest import sign_in
from mamori.incidents.editing import policy_of
from mamori.incidents.errors import NotAllowed, WrongState
from mamori.incidents.models import Task
from mamori.incidents.tests.scenario import report, triage
from mamori.journal.models import JournalEntry
from mamori.journal.verify import verify_chain
from mamori.people.services import create_person

from ..incident_links import (
    answer_check,
    hints_for,
    related_systems,
    set_affected_systems,
    start_cross_checks,
)
from ..models import CheckFinding, CrossSystemCheck
from ..services import SoftwareInput, SystemInput, create_system, set_software

pytestmark = pytest.mark.django_db


@pytest.fixture
def incident(register):
    org = register.org
    incident = triage(org, report(org), level=2)
    # A third system: same PostgreSQL as the dispatch system, another vendor, another administrator.
    registry_admin = create_person(
        org.organization,
        actor="test",
        username="tatebayashi-registry",
        display_name="予防課 担当係長",
        password=None,
    )
    registry = create_system(
        org.organization,
        actor=org.chief_security_officer,
        data=SystemInput(
            code="S-003",
            name="予防台帳システム",
            administrator=registry_admin,
            segment="lgwan",
            vendor="別会社",
            classification={"confidentiality": "2", "integrity": "2", "availability": "1"},
        ),
    )
    set_software(
        registry, actor=org.chief_security_officer, items=[SoftwareInput("ＰｏｓｔｇｒｅＳＱＬ", "15.2")]
    )
    register.registry, register.registry_admin = registry, registry_admin
    return incident


def test_the_affected_systems_suggest_level_and_outside_reports_with_their_rules(register, incident):
    org = register.org
    assert set_affected_systems(incident, actor=org.handler, systems=[register.dispatch])
    entry = JournalEntry.objects.filter(action="incident.systems_set").get()
    assert entry.data == {"added": ["S-001 消防指令システム"], "removed": []}
    with translation.override("ja"):
        hints = hints_for(policy_of(incident), [register.dispatch])
    assert hints.level == 3  # 機密性3B and 可用性2 → レベル3 (the level criteria cite 別表1 重要度III・IV)
    assert any("機密性3B" in text and "レベル3" in text for text, _basis in hints.level_reasons)
    outside = " ".join(text for text, _basis in hints.outside)
    assert "個人情報保護委員会" in outside and "12,000人" in outside
    assert "本人の数が100人を超える" in outside
    assert any(basis == "個人情報保護法施行規則第43条第4号" for _text, basis in hints.outside)
    # The website holds no personal data and is 機密性1: nothing to suggest.
    assert hints_for(policy_of(incident), [register.website]).outside == []


def test_only_systems_sharing_what_was_chosen_are_asked(register, incident):
    org = register.org
    set_affected_systems(incident, actor=org.handler, systems=[register.dispatch])
    by_software = {s.code: shared for s, shared in related_systems(incident, ["software"])}
    assert set(by_software) == {"S-003"}  # PostgreSQL, written another way; not WordPress
    assert by_software["S-003"] == [
        {"kind": "software", "value": "ＰｏｓｔｇｒｅＳＱＬ 15.2", "via": "S-001"}
    ]
    assert {s.code for s, _ in related_systems(incident, ["segment"])} == {"S-003"}  # both LGWAN接続系
    assert {s.code for s, _ in related_systems(incident, ["vendor"])} == set()

    incident.refresh_from_db()
    checks = start_cross_checks(
        incident, actor=org.handler, kinds=["software"], due_at=None, expected_version=incident.version
    )
    assert [c.system.code for c in checks] == ["S-003"]
    task = checks[0].task
    assert task.assignee == register.registry_admin and "PostgreSQL" in task.details.replace(
        "ＰｏｓｔｇｒｅＳＱＬ", "PostgreSQL"
    )
    # Asking again asks nobody twice.
    incident.refresh_from_db()
    with pytest.raises(WrongState):
        start_cross_checks(
            incident, actor=org.handler, kinds=["software", "segment"], due_at=None, expected_version=None
        )
    assert Task.objects.filter(incident=incident).count() == 1


def test_the_administrator_answers_and_the_answer_is_kept(register, incident):
    org = register.org
    set_affected_systems(incident, actor=org.handler, systems=[register.dispatch])
    (check,) = start_cross_checks(
        incident, actor=org.handler, kinds=["software"], due_at=None, expected_version=None
    )
    # Someone who is neither asked nor in the response may not answer for them.
    with pytest.raises(NotAllowed):
        answer_check(check, actor=register.webmaster, finding="not_affected", result="確認した")

    # The administrator sees the incident through the task, and answers on the page.
    client = Client()
    sign_in(client, register.registry_admin)
    page = client.get(f"/systems/incident/{incident.pk}/")
    assert page.status_code == 200 and page.context["checks"][0].mine
    with translation.override("ja"):
        done = client.post(
            f"/systems/incident/{incident.pk}/checks/{check.pk}/answer/",
            {"finding": "not_affected", "result": "PostgreSQLのログに同様の通信はなかった"},
        )
    assert done.status_code == 302
    check = CrossSystemCheck.objects.select_related("task").get(pk=check.pk)
    assert check.finding == CheckFinding.NOT_AFFECTED and check.task.state == "done"
    assert check.task.done_by == register.registry_admin
    assert JournalEntry.objects.filter(action="cross_check.answered").get().data["finding"] == "not_affected"
    assert verify_chain()[1] is None


def test_the_pages_of_an_incident_s_systems(register, incident):
    org = register.org
    client = Client()
    sign_in(client, org.handler)
    detail = client.get(f"/incidents/{incident.pk}/").content.decode()
    assert f"/systems/incident/{incident.pk}/" in detail
    with translation.override("ja"):
        saved = client.post(f"/systems/incident/{incident.pk}/affected/", {"systems": [register.dispatch.pk]})
        assert saved.status_code == 302
        page = client.get(f"/systems/incident/{incident.pk}/").content.decode()
        assert "個人情報保護委員会" in page and "レベル3" in page
        incident.refresh_from_db()
        asked = client.post(
            f"/systems/incident/{incident.pk}/checks/", {"kinds": ["software"], "version": incident.version}
        )
        assert asked.status_code == 302
        refused = client.post(
            f"/systems/incident/{incident.pk}/checks/", {"kinds": [], "version": incident.version}
        )
        assert refused.status_code == 400
    # Staff who reported it may look but not choose systems.
    staff = Client()
    sign_in(staff, org.staff)
    assert staff.post(f"/systems/incident/{incident.pk}/affected/", {"systems": []}).status_code in (403, 404)

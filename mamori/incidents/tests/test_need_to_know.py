"""Need-to-know: a restricted incident is invisible to everyone without it — in the list, the search,
the filter choices, the counts, the API list and detail — and those reached only through a task see
the task and what it needs, not the incident.

Tatebayashi's 統括情報セキュリティ責任者 may see every incident (view_all) but is not a CSIRT role. The
CISO is not one either, but the policy has the CSIRT tell the CISO of every incident (5.3(3)②): so the
CISO is added by name, on the record, as soon as a restricted incident pages them. Its 情報システム管理者
works on tasks the CSIRT gives (5.3(3)③).
"""

import io

import pytest
from django.test import Client

from mamori.api.auth import create_token
from mamori.conftest import sign_in
from mamori.incidents import need_to_know, response, services
from mamori.incidents.models import IncidentMember
from mamori.journal.models import JournalEntry

from .scenario import report, triage

pytestmark = pytest.mark.parametrize("preset_org", ["tatebayashi"], indirect=True)
SECRET_WORD = "住民票データ"


def restricted_incident(org, level: int = 1):
    """Level 1 pages only the CISO (tatebayashi levels[1].notify)."""
    incident = report(org, description=f"{SECRET_WORD}の誤送信。本人への連絡が必要")
    return triage(
        org, incident, level=level, restricted=True, personal_data=True, title=f"{SECRET_WORD}の誤送信"
    )


def what_they_see(person, incident) -> dict[str, object]:
    """Every way the person could learn of ``incident``: pages, search, filters, counts, API."""
    client = Client()
    sign_in(client, person)
    listing = client.get("/incidents/").content.decode()
    search = client.get("/incidents/", {"q": SECRET_WORD}).content.decode()
    dashboard = client.get("/").content.decode()
    detail = client.get(f"/incidents/{incident.pk}/")
    _token, clear = create_token(person, actor="test", name="check")
    api = Client(HTTP_AUTHORIZATION=f"Bearer {clear}")
    api_list = api.get("/api/v1/incidents").json()
    api_search = api.get("/api/v1/incidents", {"q": SECRET_WORD}).json()
    return {
        "list": incident.reference in listing,
        "search": incident.reference in search,
        "dashboard": incident.reference in dashboard or SECRET_WORD in dashboard,
        "detail": detail.status_code,
        "api_list": any(r["reference"] == incident.reference for r in api_list["results"]),
        "api_count": len(api_list["results"]),
        "api_search": len(api_search["results"]),
        "api_detail": api.get(f"/api/v1/incidents/{incident.pk}").status_code,
    }


def test_a_restricted_incident_is_invisible_without_need_to_know(preset_org):
    org = preset_org
    ordinary = triage(org, report(org, description="プリンタの設定誤り"), level=1)
    secret = restricted_incident(org)
    officer = org.chief_security_officer
    assert what_they_see(officer, secret) == {
        "list": False,
        "search": False,
        "dashboard": False,
        "detail": 404,
        "api_list": False,
        "api_count": 1,  # only the ordinary one is counted
        "api_search": 0,
        "api_detail": 404,
    }
    client = Client()
    sign_in(client, officer)
    assert ordinary.reference in client.get("/incidents/").content.decode()
    # The CSIRT sees it everywhere.
    manager = what_they_see(org.csirt_manager, secret)
    assert manager["list"] and manager["search"] and manager["api_list"]
    assert manager["detail"] == 200 and manager["api_detail"] == 200 and manager["api_count"] == 2


def test_whoever_the_policy_has_told_is_added_by_name(preset_org):
    org = preset_org
    secret = restricted_incident(org)
    member = IncidentMember.objects.get(incident=secret)
    assert member.person == org.ciso and "ポリシー" in member.reason
    assert what_they_see(org.ciso, secret)["detail"] == 200
    # Made restricted later: those already told (level 2: CISO and 統括情報セキュリティ責任者) are added.
    later = triage(org, report(org), level=2)
    later.refresh_from_db()
    services.set_flags(
        later,
        actor=org.csirt_manager,
        expected_version=later.version,
        personal_data=True,
        restricted=True,
        is_drill=False,
        affected_systems="",
        title=later.title,
    )
    added = set(IncidentMember.objects.filter(incident=later).values_list("person__username", flat=True))
    assert added == {org.ciso.username, org.chief_security_officer.username}


def test_a_person_added_by_name_sees_it_until_removed(preset_org):
    org = preset_org
    secret = restricted_incident(org)
    officer = org.chief_security_officer
    member = need_to_know.add_member(
        secret, actor=org.csirt_manager, expected_version=None, person=officer, reason="個人情報の公表判断"
    )
    seen = what_they_see(officer, secret)
    assert seen["list"] and seen["search"] and seen["api_list"]
    assert seen["detail"] == 200 and seen["api_detail"] == 200
    need_to_know.remove_member(secret, actor=org.csirt_manager, expected_version=None, member_pk=member.pk)
    assert what_they_see(officer, secret)["detail"] == 404
    assert [
        e.data["person"]
        for e in JournalEntry.objects.filter(action__startswith="incident.member_").order_by("seq")
    ] == [org.ciso.username, officer.username, officer.username]


def test_adding_people_is_for_those_who_assign_and_is_done_from_the_page(preset_org):
    org = preset_org
    secret = restricted_incident(org)
    client = Client()
    sign_in(client, org.csirt_manager)
    page = client.get(f"/incidents/{secret.pk}/").content.decode()
    assert f"/incidents/{secret.pk}/need-to-know/" in page
    secret.refresh_from_db()
    officer = org.chief_security_officer
    empty = client.post(
        f"/incidents/{secret.pk}/need-to-know/", {"version": secret.version, "person": officer.username}
    )
    assert empty.status_code == 400  # no reason given: nothing saved
    assert not IncidentMember.objects.filter(person=officer).exists()
    done = client.post(
        f"/incidents/{secret.pk}/need-to-know/",
        {"version": secret.version, "person": officer.username, "reason": "公表の判断"},
    )
    assert done.status_code == 302
    assert IncidentMember.objects.filter(incident=secret, person=officer).exists()
    # The handler responds but does not choose who knows (assign: csirt_manager, csirt_head).
    handler = Client()
    sign_in(handler, org.handler)
    secret.refresh_from_db()
    refused = handler.post(
        f"/incidents/{secret.pk}/need-to-know/",
        {"version": secret.version, "person": org.staff.username, "reason": "x"},
    )
    assert refused.status_code == 403


def test_asking_a_decision_of_a_role_outside_the_csirt_adds_its_holder_by_name(preset_org):
    org = preset_org
    secret = restricted_incident(org)
    told = IncidentMember.objects.get(incident=secret, person=org.ciso)
    need_to_know.remove_member(secret, actor=org.csirt_manager, expected_version=None, member_pk=told.pk)
    services.request_publication(
        secret,
        actor=org.csirt_manager,
        expected_version=None,
        decision="not_publish",
        reason="本人通知で足りる",
    )
    member = IncidentMember.objects.get(incident=secret)
    assert member.person == org.ciso and "公表の判断" in member.reason
    assert what_they_see(org.ciso, secret)["detail"] == 200


def test_someone_reached_through_a_task_sees_only_the_task(preset_org):
    org = preset_org
    secret = restricted_incident(org)
    response.add_evidence(
        secret,
        actor=org.handler,
        expected_version=None,
        description="送信ログ",
        upload=io.BytesIO(b"log"),
        filename="mail.log",
    )
    evidence = secret.evidence.get()
    response.create_task(
        secret,
        actor=org.handler,
        expected_version=None,
        title="送信サーバのログを保全する",
        details="10月1日分",
        assignee=org.system_admin,
    )
    client = Client()
    sign_in(client, org.system_admin)
    page = client.get(f"/incidents/{secret.pk}/")
    text = page.content.decode()
    assert page.status_code == 200 and 'id="task-only"' in text
    assert "送信サーバのログを保全する" in text and "10月1日分" in text
    # Not the reports, the reporter, the evidence or the timeline.
    assert org.staff.display_name not in text and "本人への連絡が必要" not in text
    assert "mail.log" not in text and 'id="timeline"' not in text
    assert client.get(f"/incidents/{secret.pk}/evidence/{evidence.pk}/file/").status_code == 404
    _token, clear = create_token(org.system_admin, actor="test", name="t")
    assert (
        Client(HTTP_AUTHORIZATION=f"Bearer {clear}").get(f"/api/v1/incidents/{secret.pk}").status_code == 404
    )
    # They can do the task, from that page.
    task = secret.tasks.get()
    done = client.post(f"/incidents/{secret.pk}/tasks/{task.pk}/done/", {"result": "保全した（SHA-256記録）"})
    assert done.status_code == 302
    task.refresh_from_db()
    assert task.state == "done"
    # A bad submission comes back on the task page, not on the full incident page.
    again = client.post(f"/incidents/{secret.pk}/tasks/{task.pk}/done/", {"result": ""})
    assert again.status_code >= 400 and 'id="task-only"' in again.content.decode()

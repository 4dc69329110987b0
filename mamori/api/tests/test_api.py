"""The HTTP API: token auth, JSON errors with a code and a Japanese message, 4xx for bad input."""

import io

import pytest
from django.test import Client

from mamori.api.auth import create_token
from mamori.incidents.models import Incident

pytestmark = pytest.mark.django_db


@pytest.fixture
def api(komae):
    """Clients with tokens of the komae CSIRT manager and a staff member."""

    def client_for(person):
        _token, clear = create_token(person, actor="test", name="test")
        return Client(HTTP_AUTHORIZATION=f"Bearer {clear}", HTTP_ACCEPT_LANGUAGE="ja")

    return client_for


REPORT = {
    "description": "業務端末でランサムウェアの脅迫画面が表示された",
    "discovered_at": "2026-11-20T09:30:00+09:00",
    "location": "税務課",
    "reporter_contact": "内線2222",
}


def test_openapi_schema_is_served(komae):
    schema = Client().get("/api/openapi.json").json()
    paths = schema["paths"]
    for path in (
        "/api/v1/reports",
        "/api/v1/incidents",
        "/api/v1/incidents/{incident_id}",
        "/api/v1/incidents/{incident_id}/triage",
        "/api/v1/incidents/{incident_id}/transitions",
        "/api/v1/incidents/{incident_id}/actions",
        "/api/v1/incidents/{incident_id}/evidence",
    ):
        assert path in paths, path


def test_report_triage_act_and_read_back(komae, api):
    staff, manager = api(komae.staff), api(komae.csirt_manager)
    created = staff.post("/api/v1/reports", REPORT, content_type="application/json")
    assert created.status_code == 201, created.content
    incident_id = created.json()["incident_id"]
    assert created.json()["reference"].endswith("-0001")

    detail = manager.get(f"/api/v1/incidents/{incident_id}").json()
    triaged = manager.post(
        f"/api/v1/incidents/{incident_id}/triage",
        {
            "version": detail["version"],
            "is_incident": True,
            "reason": "脅迫画面を確認",
            "category": "cyber_attack",
            "level": 3,
        },
        content_type="application/json",
    )
    assert triaged.status_code == 200, triaged.content
    body = triaged.json()
    assert body["state"] == "responding" and body["level"] == 3
    assert any(
        o["key"] == "notify:csirt_head" and o["basis"] == "要綱第10条第2項" for o in body["obligations"]
    )

    action = api(komae.handler).post(
        f"/api/v1/incidents/{incident_id}/actions",
        {"version": body["version"], "phase": "containment", "description": "端末をネットワークから隔離"},
        content_type="application/json",
    )
    assert action.status_code == 201

    version = Incident.objects.get(pk=incident_id).version
    evidence = api(komae.handler).post(
        f"/api/v1/incidents/{incident_id}/evidence",
        {"version": version, "description": "脅迫画面の写真", "file": io.BytesIO(b"PNG...")},
    )
    assert evidence.status_code == 201, evidence.content
    assert len(evidence.json()["sha256"]) == 64

    listed = manager.get("/api/v1/incidents?state=responding&level=3").json()
    assert len(listed["results"]) == 1 and listed["results"][0]["id"] == incident_id


def test_no_token_or_a_bad_token_is_401_in_json(komae):
    response = Client().get("/api/v1/incidents")
    assert response.status_code == 401 and response.json()["code"] == "unauthenticated"
    response = Client(HTTP_AUTHORIZATION="Bearer mmr_wrong").get("/api/v1/incidents")
    assert response.status_code == 401


@pytest.mark.parametrize(
    "body,field",
    [
        ({"description": "x" * 20001}, "description"),
        ({**REPORT, "discovered_at": "2026-02-30T10:00:00"}, "discovered_at"),
        ({**REPORT, "discovered_at": 12}, "discovered_at"),
        ({**REPORT, "description": ["a"]}, "description"),
        ({**REPORT, "location": ""}, "location"),
        ({**REPORT, "channel": "public_form"}, "channel"),
    ],
)
def test_bad_input_is_4xx_json_naming_the_field(komae, api, body, field):
    response = api(komae.staff).post("/api/v1/reports", body, content_type="application/json")
    assert 400 <= response.status_code < 500, response.content
    data = response.json()
    assert data["code"] == "invalid" and field in " ".join(data["fields"])
    assert not Incident.objects.exists()


def test_a_report_sent_again_with_its_message_id_is_not_filed_twice(komae, api):
    """A mail gateway or SIEM whose call timed out sends it again: same identifier, same report."""
    staff = api(komae.staff)
    body = {**REPORT, "message_id": "siem-alert-20261206-0042"}
    first = staff.post("/api/v1/reports", body, content_type="application/json")
    again = staff.post("/api/v1/reports", body, content_type="application/json")
    assert first.status_code == 201 and first.json()["duplicate"] is False
    assert again.status_code == 200, again.content
    assert again.json()["duplicate"] is True
    assert again.json()["reference"] == first.json()["reference"]
    assert Incident.objects.count() == 1
    # The next report gets the next number: the refused duplicate used none up.
    other = staff.post("/api/v1/reports", REPORT, content_type="application/json").json()
    assert other["reference"].endswith("-0002")


def test_message_ids_of_different_people_never_meet(komae, api):
    """Another person's identical identifier files a report of its own and learns nothing of the first."""
    body = {**REPORT, "message_id": "alert-1"}
    first = api(komae.staff).post("/api/v1/reports", body, content_type="application/json").json()
    second = api(komae.poc).post("/api/v1/reports", body, content_type="application/json")
    assert second.status_code == 201 and second.json()["reference"] != first["reference"]


def test_malformed_json_is_4xx(komae, api):
    response = api(komae.staff).post("/api/v1/reports", "{not json", content_type="application/json")
    assert 400 <= response.status_code < 500


def test_wrong_role_is_403_and_other_organisation_is_404(komae, api, outsider):
    created = api(komae.staff).post("/api/v1/reports", REPORT, content_type="application/json").json()
    incident_id = created["incident_id"]
    version = Incident.objects.get(pk=incident_id).version
    response = api(komae.handler).post(
        f"/api/v1/incidents/{incident_id}/triage",
        {"version": version, "is_incident": False, "reason": "x"},
        content_type="application/json",
    )
    assert response.status_code == 403 and response.json()["code"] == "forbidden"
    assert "役割" in response.json()["message"]  # Japanese by default
    assert api(outsider).get(f"/api/v1/incidents/{incident_id}").status_code == 404
    assert api(outsider).get("/api/v1/incidents").json()["results"] == []


def test_stale_version_is_409(komae, api):
    created = api(komae.staff).post("/api/v1/reports", REPORT, content_type="application/json").json()
    manager = api(komae.csirt_manager)
    url = f"/api/v1/incidents/{created['incident_id']}/transitions"
    version = Incident.objects.get(pk=created["incident_id"]).version
    assert (
        manager.post(
            url, {"version": version, "transition": "start_triage"}, content_type="application/json"
        ).status_code
        == 200
    )
    stale = manager.post(
        url, {"version": version, "transition": "start_triage"}, content_type="application/json"
    )
    assert stale.status_code == 409 and stale.json()["code"] == "conflict"


def test_expired_token_is_refused(komae):
    from datetime import timedelta

    from django.utils import timezone

    _token, clear = create_token(
        komae.staff, actor="test", name="old", expires_at=timezone.now() - timedelta(seconds=1)
    )
    assert Client(HTTP_AUTHORIZATION=f"Bearer {clear}").get("/api/v1/incidents").status_code == 401


def test_create_api_token_command(komae, capsys):
    from django.core.management import call_command

    call_command("create_api_token", komae.staff.username, "--scope", "incidents:read")
    token = capsys.readouterr().out.strip()
    assert token.startswith("mmr_")
    assert Client(HTTP_AUTHORIZATION=f"Bearer {token}").get("/api/v1/incidents").status_code == 200

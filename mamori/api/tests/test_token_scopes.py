"""API tokens carry scopes and an expiry, and each token has a call rate limit (issue: abuse resistance).

A mail gateway that files reports should not be able to read every incident with its token.
"""

import io

import pytest
from django.core.management import call_command
from django.test import Client

from mamori.api.auth import create_token
from mamori.api.models import ApiToken
from mamori.journal.models import JournalEntry

from .test_api import REPORT

pytestmark = pytest.mark.django_db


def client_with(person, *scopes: str) -> Client:
    _token, clear = create_token(person, actor="test", name="scoped", scopes=scopes)
    return Client(HTTP_AUTHORIZATION=f"Bearer {clear}")


def test_a_token_for_filing_reports_cannot_read_or_change_incidents(komae):
    gateway = client_with(komae.csirt_manager, "reports:write")
    assert gateway.post("/api/v1/reports", REPORT, content_type="application/json").status_code == 201
    refused = gateway.get("/api/v1/incidents")
    assert refused.status_code == 403
    body = refused.json()
    assert body["code"] == "out_of_scope" and "incidents:read" in body["message"]
    assert "このトークン" in body["message"]


def test_a_read_token_cannot_change_incidents(komae):
    reader = client_with(komae.csirt_manager, "incidents:read")
    listing = reader.get("/api/v1/incidents")
    assert listing.status_code == 200
    writer = client_with(komae.csirt_manager, "reports:write", "incidents:read")
    pk = writer.post("/api/v1/reports", REPORT, content_type="application/json").json()["incident_id"]
    triage = {"version": 1, "is_incident": False, "reason": "訓練メール"}
    refused = reader.post(f"/api/v1/incidents/{pk}/triage", triage, content_type="application/json")
    assert refused.status_code == 403 and refused.json()["code"] == "out_of_scope"
    changer = client_with(komae.csirt_manager, "incidents:write")
    assert (
        changer.post(f"/api/v1/incidents/{pk}/triage", triage, content_type="application/json").status_code
        == 200
    )


def test_each_token_has_a_rate_limit(komae, settings):
    settings.MAMORI_API_CALLS_PER_MINUTE = 3
    reader = client_with(komae.csirt_manager, "incidents:read")
    assert [reader.get("/api/v1/incidents").status_code for _ in range(3)] == [200, 200, 200]
    limited = reader.get("/api/v1/incidents")
    assert limited.status_code == 429 and limited.json()["code"] == "too_many_requests"
    # Another token (another integration) is not affected.
    assert client_with(komae.csirt_manager, "incidents:read").get("/api/v1/incidents").status_code == 200


def test_the_command_gives_only_the_scopes_asked_for(komae):
    out = io.StringIO()
    call_command("create_api_token", komae.poc.username, "--name", "mail-gw", "--days", "30", stdout=out)
    token = ApiToken.objects.get(name="mail-gw")
    assert token.scopes == ["reports:write"] and token.expires_at is not None
    call_command(
        "create_api_token",
        komae.csirt_manager.username,
        "--name",
        "dashboard",
        "--scope",
        "incidents:read",
        stdout=io.StringIO(),
    )
    assert ApiToken.objects.get(name="dashboard").scopes == ["incidents:read"]
    created = JournalEntry.objects.filter(action="api_token.created").latest("seq")
    assert created.data["scopes"] == ["incidents:read"]

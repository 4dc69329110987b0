"""Logins, logouts and failed logins are journaled (tatebayashi 6.1(6), edogawa 基準第16条第2項)."""

import pytest
from django.test import Client

from mamori.conftest import PASSWORD
from mamori.journal.models import JournalEntry

pytestmark = pytest.mark.django_db


def test_login_logout_and_failed_login_are_journaled(komae):
    client = Client(REMOTE_ADDR="192.0.2.10")
    assert (
        client.post("/accounts/login/", {"username": komae.handler.username, "password": "wrong"}).status_code
        == 200
    )
    assert (
        client.post(
            "/accounts/login/", {"username": komae.handler.username, "password": PASSWORD}
        ).status_code
        == 302
    )
    client.post("/accounts/logout/")
    entries = list(JournalEntry.objects.filter(action__startswith="access.").order_by("seq"))
    assert [e.action for e in entries] == ["access.login_failed", "access.login", "access.logout"]
    assert entries[0].data == {"username": komae.handler.username, "address": "192.0.2.10"}
    assert "wrong" not in str(entries[0].data)
    assert entries[1].actor == komae.handler

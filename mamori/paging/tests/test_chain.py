"""The deputy chain: holder silent → deputy 1 at the deadline → … ; absences skipped; chain exhausted →
fallback role paged and a banner on every page (katsushika 5(1)ア; komae 第4条第4項, 第10条第2項)."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.test import Client

from mamori.conftest import sign_in
from mamori.incidents.tests.scenario import report, triage
from mamori.journal.models import JournalEntry
from mamori.paging.choices import EscalationState, PageState
from mamori.paging.delivery import send_due
from mamori.paging.models import Escalation, InboxMessage
from mamori.paging.services import acknowledge, advance_due, declare_absence

pytestmark = pytest.mark.django_db

T0 = datetime(2026, 11, 21, 2, 0, tzinfo=ZoneInfo("Asia/Tokyo"))  # a level-3 incident at 2 a.m.


@pytest.fixture
def clock():
    with time_machine.travel(T0, tick=False) as traveller:
        yield traveller


def chain_of(escalation) -> list[tuple[str, str]]:
    return [
        (p.recipient.username, p.state) for p in escalation.pages.select_related("recipient").order_by("pk")
    ]


@pytest.mark.parametrize("preset_org", ["katsushika"], indirect=True)
def test_deputies_one_two_three_in_order_until_one_acknowledges(preset_org, clock, settings):
    settings.MAMORI_PAGE_CHANNELS = ["inbox"]
    org = preset_org
    incident = triage(org, report(org), level=2)
    escalation = Escalation.objects.get(incident=incident, role_key="system_admin")
    send_due()
    assert chain_of(escalation) == [("katsushika-system_admin", "open")]
    assert InboxMessage.objects.filter(recipient=org.system_admin).count() == 1

    clock.shift(timedelta(minutes=escalation.ack_minutes) - timedelta(seconds=1))
    advance_due()
    assert chain_of(escalation) == [("katsushika-system_admin", "open")]  # not yet
    clock.shift(timedelta(seconds=2))
    advance_due()
    send_due()
    assert chain_of(escalation) == [("katsushika-system_admin", "expired"), ("katsushika-deputy_1", "open")]

    clock.shift(timedelta(minutes=escalation.ack_minutes + 1))
    advance_due()
    send_due()
    deputy_2_page = escalation.pages.get(recipient=org.deputy_2)
    assert deputy_2_page.acting_for == org.system_admin
    acknowledge(deputy_2_page, actor=org.deputy_2, via="app")

    escalation.refresh_from_db()
    assert escalation.state == EscalationState.ACKNOWLEDGED and escalation.acknowledged_by == org.deputy_2
    clock.shift(timedelta(hours=2))
    advance_due()  # the chain stopped: deputy 3 is never paged
    assert not escalation.pages.filter(recipient=org.deputy_3).exists()
    entry = JournalEntry.objects.get(action="page.acknowledged")
    assert entry.data["acting_for"] == "katsushika-system_admin"
    assert "代行" in entry.data["statement"] or "acted for" in entry.data["statement"]
    obligation = escalation.obligation
    obligation.refresh_from_db()
    assert obligation.done_by == org.deputy_2 and obligation.done_at is not None


def test_a_declared_absence_is_skipped_at_once(komae, clock, settings):
    settings.MAMORI_PAGE_CHANNELS = ["inbox"]
    declare_absence(
        komae.csirt_head,
        actor=komae.csirt_head,
        starts_at=T0 - timedelta(days=1),
        ends_at=T0 + timedelta(days=2),
        reason="出張",
    )
    incident = triage(komae, report(komae), level=3)
    escalation = Escalation.objects.get(incident=incident, role_key="csirt_head")
    # komae 第4条第4項: the CSIRT管理者 acts for the CSIRT責任者.
    assert chain_of(escalation) == [
        ("komae-csirt_head", PageState.SKIPPED),
        ("komae-csirt_manager", PageState.OPEN),
    ]
    assert JournalEntry.objects.filter(action="page.skipped_absent").count() == 1


def test_exhausted_chain_pages_the_fallback_and_shows_a_banner_until_acknowledged(komae, clock, settings):
    settings.MAMORI_PAGE_CHANNELS = ["inbox"]
    incident = triage(komae, report(komae), level=3)
    escalation = Escalation.objects.get(incident=incident, role_key="csirt_head")
    for _step in range(3):
        clock.shift(timedelta(minutes=escalation.ack_minutes + 1))
        advance_due()
    escalation.refresh_from_db()
    assert escalation.state == EscalationState.EXHAUSTED
    fallback = escalation.pages.get(is_fallback=True)
    assert fallback.recipient == komae.csirt_manager  # komae: the CSIRT管理者 (第6条第2号)

    client = Client()
    sign_in(client, komae.staff)
    for url in ("/", "/intake/new/"):
        assert 'class="banner"' in client.get(url).content.decode()
    acknowledge(fallback, actor=komae.csirt_manager, via="app")
    page = client.get("/").content.decode()
    assert escalation.text[:20] not in page.split('class="banner"')[-1].split("</div>")[0]
    # Every other chain of this incident that nobody acknowledged keeps the banner up until acknowledged too.
    for other in Escalation.objects.filter(state=EscalationState.EXHAUSTED):
        for p in other.pages.filter(is_fallback=True):
            acknowledge(p, actor=p.recipient, via="app")
    assert 'class="banner"' not in client.get("/").content.decode()


def test_new_reports_page_the_role_the_policy_names(komae, settings):
    """komae 第9条第3項: the PoC reports every incident report to the CSIRT管理者 at once."""
    settings.MAMORI_PAGE_CHANNELS = ["inbox"]
    incident = report(komae)
    escalation = Escalation.objects.get(incident=incident, key="report:csirt_manager")
    assert escalation.basis == "要綱第9条第3項"
    assert chain_of(escalation) == [("komae-csirt_manager", "open")]


def test_closing_the_incident_cancels_its_chains(komae, clock, settings):
    from mamori.incidents import services

    settings.MAMORI_PAGE_CHANNELS = ["inbox"]
    incident = report(komae)
    services.triage(
        incident,
        actor=komae.csirt_manager,
        expected_version=incident.version,
        is_incident=False,
        reason="誤報",
    )
    clock.shift(timedelta(hours=1))
    advance_due()
    escalation = Escalation.objects.get(incident=incident)
    assert escalation.state == EscalationState.CANCELLED
    assert not escalation.pages.filter(state=PageState.OPEN).exists()


def test_only_the_recipient_may_acknowledge(komae, settings):
    settings.MAMORI_PAGE_CHANNELS = ["inbox"]
    incident = triage(komae, report(komae), level=3)
    page = Escalation.objects.get(incident=incident, role_key="csirt_head").pages.get()
    with pytest.raises(PermissionError):
        acknowledge(page, actor=komae.handler, via="app")


def test_closing_pages_the_role_the_policy_ties_to_closure(komae, settings):
    """komae 第12条第2項: the CISO is told the outcome."""
    from mamori.incidents.tests.scenario import close

    settings.MAMORI_PAGE_CHANNELS = ["inbox"]
    incident = close(komae, triage(komae, report(komae), level=1))
    escalation = Escalation.objects.get(incident=incident, key__startswith="transition:close:ciso")
    assert escalation.basis == "要綱第12条第2項" and escalation.ack_minutes == 1440
    assert escalation.pages.get().recipient == komae.ciso

"""Pages reach people: real SMTP (aiosmtpd), a signed webhook, the one-time link, retries and failures."""

import hashlib
import hmac
import re
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.test import Client

from mamori.incidents.tests.scenario import report, triage
from mamori.journal.models import JournalEntry
from mamori.paging.choices import DeliveryState, EscalationState, PageState
from mamori.paging.delivery import send_due
from mamori.paging.models import Delivery, DeliveryAttempt, Escalation
from mamori.paging.services import advance_due

pytestmark = pytest.mark.django_db

T0 = datetime(2026, 11, 21, 2, 0, tzinfo=ZoneInfo("Asia/Tokyo"))


def head_escalation(komae):
    incident = triage(komae, report(komae, description="基幹系サーバでランサムウェアの脅迫画面"), level=3)
    return Escalation.objects.get(incident=incident, role_key="csirt_head")


def test_the_mail_reaches_the_head_and_its_link_acknowledges_without_login(komae, smtp_server, settings):
    settings.MAMORI_PAGE_CHANNELS = ["email"]
    escalation = head_escalation(komae)
    send_due()
    [body] = smtp_server.mailbox.bodies_to(komae.csirt_head.email)
    [mail] = [m for m in smtp_server.mailbox.messages if komae.csirt_head.email in m["To"]]
    assert "R8-0001" in mail["Subject"] or "0001" in mail["Subject"]
    assert "要綱第10条第2項" in body
    url = re.search(r"http://127\.0\.0\.1:8000(/paging/ack/[0-9a-f]+/)", body).group(1)

    phone = Client()  # not logged in
    shown = phone.get(url)
    assert shown.status_code == 200 and "<form" in shown.content.decode()
    escalation.refresh_from_db()
    assert escalation.state == EscalationState.OPEN  # a GET (a mail scanner) acknowledges nothing
    assert phone.post(url).status_code == 200
    escalation.refresh_from_db()
    assert escalation.state == EscalationState.ACKNOWLEDGED and escalation.acknowledged_by == komae.csirt_head
    entry = JournalEntry.objects.get(action="page.acknowledged")
    assert entry.actor == komae.csirt_head and entry.data["via"] == "link"
    # The link works once; afterwards it only says who acknowledged.
    again = phone.post(url)
    assert again.status_code == 200 and JournalEntry.objects.filter(action="page.acknowledged").count() == 1


def test_links_expire_and_forged_links_are_refused(komae, settings):
    settings.MAMORI_PAGE_CHANNELS = ["inbox"]
    with time_machine.travel(T0, tick=False) as clock:
        escalation = head_escalation(komae)
        page = escalation.pages.get()
        from mamori.paging.tokens import page_token

        url = f"/paging/ack/{page_token(page.token_salt)}/"
        assert Client().get("/paging/ack/" + "0" * 40 + "/").status_code == 404
        clock.shift(timedelta(hours=settings.MAMORI_ACK_LINK_HOURS, seconds=1))
        assert Client().post(url).status_code == 404
    page.refresh_from_db()
    assert page.state != PageState.ACKNOWLEDGED


def test_webhook_is_signed_and_carries_an_idempotency_key(komae, webhook_receiver, settings):
    settings.MAMORI_PAGE_CHANNELS = ["webhook"]
    head_escalation(komae)
    send_due()
    assert webhook_receiver.requests
    request = webhook_receiver.requests[0]
    headers = {k.lower(): v for k, v in request.headers.items()}
    expected = hmac.new(
        b"test-webhook-secret", headers["x-mamori-timestamp"].encode() + b"." + request.body, hashlib.sha256
    ).hexdigest()
    assert hmac.compare_digest(headers["x-mamori-signature"], f"sha256={expected}")
    keys = {r.headers.get("Idempotency-Key") for r in webhook_receiver.requests}
    assert len(keys) == len(webhook_receiver.requests) and None not in keys
    assert request.json["incident"].endswith("-0001") and "/paging/ack/" in request.json["ack_url"]


def test_smtp_down_then_up_retries_and_the_escalation_does_not_wait(komae, smtp_server, settings):
    settings.MAMORI_PAGE_CHANNELS = ["email"]
    smtp_server.stop()
    with time_machine.travel(T0, tick=False) as clock:
        escalation = head_escalation(komae)
        send_due()
        delivery = Delivery.objects.get(page__escalation=escalation)
        assert delivery.state == DeliveryState.RETRYING and delivery.attempts == 1
        assert not DeliveryAttempt.objects.get(delivery=delivery).permanent

        # The holder's deadline passes while mail is down: the deputy is paged all the same.
        clock.shift(timedelta(minutes=escalation.ack_minutes + 1))
        advance_due()
        assert escalation.pages.filter(state=PageState.OPEN, recipient=komae.csirt_manager).exists()

        smtp_server.start()
        clock.shift(timedelta(minutes=5))
        send_due()
    delivery.refresh_from_db()
    assert delivery.state == DeliveryState.SENT and delivery.attempts == 2
    assert smtp_server.mailbox.bodies_to(komae.csirt_head.email)  # the late mail still arrives
    assert smtp_server.mailbox.bodies_to(komae.csirt_manager.email)


def test_a_refused_address_is_permanent_and_the_chain_moves_on_at_once(komae, smtp_server, settings):
    settings.MAMORI_PAGE_CHANNELS = ["email"]
    smtp_server.mailbox.refuse.add(komae.csirt_head.email)
    with time_machine.travel(T0, tick=False):
        escalation = head_escalation(komae)
        send_due()
        delivery = Delivery.objects.get(page__escalation=escalation, page__recipient=komae.csirt_head)
        assert delivery.state == DeliveryState.FAILED
        assert DeliveryAttempt.objects.get(delivery=delivery).permanent
        advance_due()  # no waiting for the 30-minute deadline
        send_due()
    assert escalation.pages.get(recipient=komae.csirt_manager).state == PageState.OPEN
    assert smtp_server.mailbox.bodies_to(komae.csirt_manager.email)


def test_a_person_without_a_mail_address_fails_permanently(komae, settings):
    settings.MAMORI_PAGE_CHANNELS = ["email"]
    komae.csirt_head.email = ""
    komae.csirt_head.save()
    escalation = head_escalation(komae)
    send_due()
    assert (
        Delivery.objects.get(page__escalation=escalation, page__recipient=komae.csirt_head).state == "failed"
    )

"""The roll-call and an acknowledgement answered on the relay (the internet-facing segment), on a phone in
Debian's chromium, and carried inward by the worker's sync: "cannot come" skips the person in the command
chain, 代行者1 acknowledges from the relay. The relay keeps only the links, and none of an ended emergency."""

import json
import re
import urllib.error
import urllib.request
from datetime import timedelta

import pytest
from django.utils import timezone

from mamori.continuity import rollcall
from mamori.continuity.models import RollCallEntry
from mamori.continuity.services import COMMAND_KEY, Declaration, command_of, declare, end
from mamori.incidents.tests.browser import PHONE, goto, ja, new_page, screenshot, submit
from mamori.journal.models import JournalEntry
from mamori.paging.choices import EscalationState, PageState
from mamori.paging.models import Escalation
from mamori.paging.tokens import page_token
from mamori.relay.models import RelayAnswer, RelayLink
from mamori.relay.sync import sync

pytest_plugins = ["mamori.incidents.tests.browser"]
pytestmark = pytest.mark.django_db(transaction=True)


def test_answers_given_on_the_relay_reach_the_main_instance(
    relay_server, chromium, katsushika, smtp_server, settings
):
    settings.MAMORI_PAGE_CHANNELS = ["email"]
    emergency = declare(
        katsushika.organization,
        Declaration(kind="earthquake", intensity="6-", occurred_at=timezone.now() - timedelta(minutes=5)),
        actor=katsushika.chief_system_officer,
    )
    rollcall.send_due()
    (body,) = smtp_server.mailbox.bodies_to(katsushika.system_admin.email)
    link = re.search(r"http://localhost:\d+/rollcall/[0-9a-f]+/", body).group(0)

    # Before the first sync the relay knows no link.
    phone = new_page(chromium, PHONE)
    assert phone.goto(link).status == 404

    assert sync() == 0
    # 13 roll-call links and the page of the 電算機管理者; nothing of an incident or of the scope text.
    assert RelayLink.objects.filter(kind="rollcall").count() == 13
    assert RelayLink.objects.filter(kind="ack").count() == 1
    assert set(RelayLink.objects.values_list("title", flat=True)) >= {"地震 震度6弱"}

    goto(phone, link)
    form = phone.locator("#answer-form")
    form.locator("input[name=safety][value=safe]").check()
    form.locator("input[name=family][value=affected]").check()
    form.locator("input[name=convening][value=cannot]").check()
    form.locator("textarea[name=message]").fill("自宅が半壊。家族の避難に付き添います。")
    submit(phone, form, expect_status=(200,))
    assert phone.locator("#saved").count() == 1
    assert phone.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    screenshot(phone, "relay-rollcall-phone")

    # The worker's next sync records it as if answered inside, and 代行者1 is paged at once.
    assert sync() == 1
    entry = RollCallEntry.objects.get(emergency=emergency, person=katsushika.system_admin)
    assert (entry.convening, entry.family, entry.answered_via) == ("cannot", "affected", "relay")
    assert not RelayAnswer.objects.exists()  # collected, so deleted on the relay
    chain = Escalation.objects.get(emergency=emergency, key=COMMAND_KEY)
    page = chain.pages.get(state=PageState.OPEN)
    assert page.recipient == katsushika.deputy_1

    # 代行者1 acknowledges from the relay.
    sync()
    goto(phone, f"{relay_server}/paging/ack/{page_token(page.token_salt)}/")
    submit(phone, phone.locator("#ack-form"), expect_status=(200,))
    assert sync() == 1
    chain.refresh_from_db()
    assert chain.state == EscalationState.ACKNOWLEDGED
    command = command_of(emergency)
    assert (
        command.settled
        and command.person == katsushika.deputy_1
        and command.acting_for == katsushika.system_admin
    )
    assert JournalEntry.objects.filter(action="page.acknowledged", data__via="relay").count() == 1

    # After the end, the relay keeps no link of it: the old link answers nothing.
    end(emergency, actor=katsushika.chief_system_officer)
    sync()
    assert not RelayLink.objects.exists()
    assert phone.goto(link).status == 404
    assert ja("This link is not valid") in phone.locator("h1").inner_text()


def test_the_relay_refuses_unsigned_requests(relay_server):
    body = json.dumps({"links": []}).encode()
    request = urllib.request.Request(  # noqa: S310 (http, to the test's own relay)
        f"{relay_server}/relay/api/links",
        data=body,
        method="POST",
        headers={"X-Mamori-Timestamp": "1", "X-Mamori-Signature": "sha256=00"},
    )
    with pytest.raises(urllib.error.HTTPError) as err:
        urllib.request.urlopen(request, timeout=5)  # noqa: S310
    assert err.value.code == 403
    with pytest.raises(urllib.error.HTTPError) as err:
        urllib.request.urlopen(f"{relay_server}/relay/api/answers", timeout=5)  # noqa: S310
    assert err.value.code == 403
    # Nothing but its own URLs: the main instance's pages are not there.
    with pytest.raises(urllib.error.HTTPError) as err:
        urllib.request.urlopen(f"{relay_server}/incidents/", timeout=5)  # noqa: S310
    assert err.value.code == 404

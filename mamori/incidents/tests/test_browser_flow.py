"""One incident from a resident's report to its closure, clicked through in chromium.

Komae (要綱第120号): a resident reports on the public form; the CSIRT管理者 triages it as a level-3
cyber attack, works the checklist (CSIRT責任者 to be told, 第10条第2項), records what was done and
moves it through recovery and recurrence prevention to its end; the CSIRT責任者 records the
publication decision, which only that role may approve (第12条第1項). The resident's status link
follows along, and the journal proves every change.
"""

import re
import time
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import expect

from mamori.journal.models import JournalEntry
from mamori.journal.verify import verify_chain

# The helpers are also this module's plugin (below); registered first, their asserts read well.
pytest.register_assert_rewrite("mamori.incidents.tests.browser")
from .browser import PHONE, goto, ja, login, new_page, screenshot, submit, url  # noqa: E402

pytest_plugins = ["mamori.incidents.tests.browser"]

# The public form refuses a report sent sooner than 3 s after it was shown (intake.forms).
HUMAN_FILL_SECONDS = 3.5

# From the komae preset: what level 3 obliges, and where the 要綱 says so.
CSIRT_HEAD_TO_BE_TOLD = "CSIRT責任者: 速やかにCSIRT責任者に報告し"
ARTICLE_10_2 = "要綱第10条第2項"
OUTSIDE_BODIES = "関係機関等"


def form_at(page, name: str, *args):
    """The one form posting to the URL named ``name`` (stable however the page is translated)."""
    action = reverse(name, args=args)
    form = page.locator(f"form[action='{action}']")
    assert form.count() == 1, f"{form.count()} forms post to {action} on {page.url}"
    return form


def has_form(page, name: str, *args) -> bool:
    return page.locator(f"form[action='{reverse(name, args=args)}']").count() > 0


def expect_success(page) -> None:
    assert page.locator(".messages .msg.success").count() == 1, f"no success message on {page.url}"


def status_shown(page, status_link: str) -> str:
    goto(page, status_link)
    return page.locator("dd.status").inner_text().strip()


# --- the steps of the scenario --------------------------------------------------------------------


def report_as_resident(page, live_server) -> tuple[str, str]:
    """Fill in the required items of the public form. Returns (reference, status link)."""
    goto(page, url(live_server, "public:report"))
    shown_at = time.monotonic()
    screenshot(page, "01-public-form")
    form = page.locator("form:has(input[name=started])")
    expect(form.locator("input[name=website]")).not_to_be_in_viewport()  # the honeypot, for bots
    for name in ("discovered_at", "location", "description", "reporter_name", "reporter_contact"):
        assert form.locator(f"[name={name}]").get_attribute("aria-required") == "true", name
    found = timezone.localtime() - timedelta(hours=2)
    form.locator("input[name=discovered_at]").fill(found.strftime("%Y-%m-%dT%H:%M"))
    form.locator("input[name=location]").fill("市ホームページ（お知らせ一覧）")
    form.locator("textarea[name=description]").fill(
        "市のホームページのお知らせ一覧に、見覚えのない外国語のページへのリンクが表示されています。"
    )
    form.locator("input[name=reporter_name]").fill("狛江 花子")
    form.locator("input[name=reporter_contact]").fill("090-0000-0000")
    page.wait_for_timeout(max(0.0, HUMAN_FILL_SECONDS - (time.monotonic() - shown_at)) * 1000)
    submit(page, form)

    assert page.url == url(live_server, "public:thanks")
    screenshot(page, "02-public-thanks")
    reference = page.locator(".reference").inner_text().strip()
    assert re.fullmatch(r"R\d+-\d{4}", reference), reference
    status_link = page.locator("a.status-link").get_attribute("href") or ""
    assert status_link.startswith(live_server.url + "/report/status/"), status_link
    return reference, status_link


def open_from_queue(page, live_server, reference: str) -> int:
    page.locator(f"nav a[href='{reverse('incidents:queue')}']").click()
    page.wait_for_url(url(live_server, "incidents:queue"))
    page.locator("main a", has_text=reference).click()
    page.wait_for_url(re.compile(r"/incidents/\d+/$"))
    return int(re.search(r"/incidents/(\d+)/$", page.url).group(1))


def triage_as_level3_cyber_attack(page, pk: int) -> None:
    triage = form_at(page, "incidents:triage", pk)
    triage.locator("input[name=is_incident][value=yes]").check()
    triage.locator("select[name=category]").select_option("cyber_attack")
    triage.locator("input[name=level][value='3']").check()
    triage.locator("textarea[name=reason]").fill(
        "お知らせ一覧に不正なリンクを確認。改ざんの範囲を特定できないためレベル3とする。"
    )
    submit(page, triage)
    expect_success(page)


def work_the_checklist(page) -> int:
    """Complete every item this person may complete; outside bodies are judged not needed."""
    open_items = page.locator("#checklist form[action*='/checklist/']")
    completed = 0
    while open_items.count():
        item = open_items.first
        action = item.get_attribute("action")
        text = page.locator("#checklist li", has=page.locator(f"form[action='{action}']")).inner_text()
        if OUTSIDE_BODIES in text:
            item.locator("input[name=outcome]").fill(
                "被害は市ホームページに限られ個人情報の漏えいもないため、関係機関への報告は不要。"
            )
            item.locator("input[name=waived]").check()
        else:
            item.locator("input[name=outcome]").fill("電話で報告済み（11時05分）")
        submit(page, item)
        expect_success(page)
        assert page.locator(f"form[action='{action}']").count() == 0, f"{action} still open"
        completed += 1
    return completed


def record_action(page, pk: int, phase: str, description: str) -> None:
    form = form_at(page, "incidents:add_action", pk)
    form.locator("select[name=phase]").select_option(phase)
    form.locator("textarea[name=description]").fill(description)
    submit(page, form)
    expect_success(page)
    assert description in page.locator("#timeline").inner_text()


def request_publication(page, pk: int, decision: str, reason: str) -> None:
    form = form_at(page, "incidents:publication", pk)
    form.locator(f"input[name=decision][value={decision}]").check()
    form.locator("textarea[name=reason]").fill(reason)
    submit(page, form)
    expect_success(page)


def approve(page, pk: int) -> None:
    form = page.locator("#publication form").first
    assert "/approvals/" in (form.get_attribute("action") or "")
    form.locator("input[name=approve][value=yes]").check()
    submit(page, form)
    expect_success(page)


def move_on(page, pk: int, transition: str, **fields: str) -> None:
    form = form_at(page, "incidents:transition", pk, transition)
    for name, value in fields.items():
        form.locator(f"textarea[name={name}]").fill(value)
    submit(page, form)
    expect_success(page)


def badge(page, css_class: str):
    return page.locator(f".incident-head .badge.{css_class}")


# --- the scenario ---------------------------------------------------------------------------------


@pytest.mark.browser
def test_a_residents_report_is_triaged_handled_and_closed(komae, live_server, chromium):
    # A resident looks at the form on a phone first: no sideways scrolling.
    phone = new_page(chromium, viewport=PHONE)
    goto(phone, url(live_server, "public:report"))
    screenshot(phone, "01-public-form-phone")
    assert phone.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]

    # ...and sends the report; the status link says it was received.
    resident = new_page(chromium)
    reference, status_link = report_as_resident(resident, live_server)
    assert status_shown(resident, status_link) == ja("Received; the CSIRT is checking it.")

    # The CSIRT管理者 finds it in the triage queue and triages it (第10条第1項).
    manager = new_page(chromium)
    login(manager, live_server, komae.csirt_manager)
    pk = open_from_queue(manager, live_server, reference)
    detail = url(live_server, "incidents:detail", pk)
    triage_as_level3_cyber_attack(manager, pk)
    assert manager.url == detail
    assert badge(manager, "state-responding").count() == 1
    assert badge(manager, "level-3").count() == 1
    assert not has_form(manager, "incidents:triage", pk)

    # Level 3: the checklist says the CSIRT責任者 must be told, citing 第10条第2項.
    told_head = manager.locator("#checklist li", has_text=CSIRT_HEAD_TO_BE_TOLD)
    assert told_head.count() == 1
    assert ARTICLE_10_2 in told_head.inner_text()
    screenshot(manager, "03-incident-after-triage")

    # The manager ticks off the checklist and records what was done.
    assert work_the_checklist(manager) == 3  # CSIRT責任者 and CISO told; outside bodies judged
    assert "done" in (told_head.get_attribute("class") or "")
    record_action(manager, pk, "containment", "改ざんされたページを公開サーバから取り下げた。")

    # The manager asks for the publication decision; only the CSIRT責任者 may give it (第12条第1項).
    request_publication(manager, pk, "publish", "市民への影響があり得るため、ホームページで公表する。")
    assert manager.locator("#publication form").count() == 0  # nobody decides their own request

    # The CSIRT責任者 approves, which completes the last checklist item.
    head = new_page(chromium)
    login(head, live_server, komae.csirt_head)
    goto(head, detail)
    approve(head, pk)
    assert head.locator("#checklist li:not(.done)").count() == 0

    # Recovery, recurrence prevention, and the end, declared by the manager.
    goto(manager, detail)
    move_on(manager, pk, "start_recovery")
    assert badge(manager, "state-recovering").count() == 1
    move_on(manager, pk, "start_prevention")
    assert badge(manager, "state-preventing").count() == 1
    move_on(
        manager,
        pk,
        "close",
        summary="ホームページの一部が改ざんされ、不正なリンクが掲載された。",
        root_cause="CMSの管理画面が外部から操作可能で、旧パスワードが使われていた。",
        prevention_measures="管理画面を庁内からのみ接続可能とし、多要素認証を導入した。",
    )
    assert badge(manager, "state-closed").count() == 1
    assert "CMSの管理画面が外部から操作可能" in manager.locator("main").inner_text()
    assert has_form(manager, "incidents:transition", pk, "reopen")
    assert not has_form(manager, "incidents:transition", pk, "close")
    screenshot(manager, "04-incident-closed")

    # The resident learns it is finished, and nothing more.
    assert status_shown(resident, status_link) == ja("Checked and finished. Thank you for your report.")

    # Every change is in the journal, and the chain holds.
    checked, problem = verify_chain()
    assert problem is None, problem
    assert checked == JournalEntry.objects.count()
    assert JournalEntry.objects.filter(action="incident.close").count() == 1

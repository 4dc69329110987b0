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

from mamori.journal.verify import verify_chain

from .browser import PHONE, goto, ja, login, new_page, screenshot, submit, url

pytest_plugins = ["mamori.incidents.tests.browser"]

# The public form refuses a report sent sooner than this after the form was shown (intake.forms).
HUMAN_FILL_SECONDS = 3.5

CSIRT_HEAD_TO_BE_TOLD = "CSIRT責任者: 速やかにCSIRT責任者に報告し"
ARTICLE_10_2 = "要綱第10条第2項"


def report_as_resident(page, live_server) -> tuple[str, str]:
    """Fill in the public form as a resident would. Returns (reference, status link)."""
    goto(page, url(live_server, "public:report"))
    shown_at = time.monotonic()
    screenshot(page, "01-public-form")
    form = page.locator("form:has(input[name=started])")
    # The honeypot is there for bots only; a person never sees it.
    expect(form.locator("input[name=website]")).not_to_be_in_viewport()
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
    status_link = page.locator("a.status-link").get_attribute("href")
    assert status_link.startswith(live_server.url + "/report/status/")
    return reference, status_link


def status_shown(page, status_link: str) -> str:
    goto(page, status_link)
    return page.locator("dd.status").inner_text().strip()


def form_at(page, name: str, *args) -> object:
    """The form that posts to the URL named ``name`` (stable across translations)."""
    form = page.locator(f"form[action='{reverse(name, args=args)}']")
    assert form.count() == 1, f"no form posting to {reverse(name, args=args)} on {page.url}"
    return form


def expect_success(page) -> None:
    assert page.locator(".messages .msg.success").count() == 1, page.url


@pytest.mark.browser
def test_report_to_closure_in_the_browser(komae, live_server, chromium):
    # A resident notices something odd on the city's web site and reports it from a phone.
    phone = new_page(chromium, viewport=PHONE)
    goto(phone, url(live_server, "public:report"))
    screenshot(phone, "01-public-form-phone")
    assert phone.evaluate("document.documentElement.scrollWidth") <= PHONE["width"], "sideways scrolling"

    resident = new_page(chromium)
    reference, status_link = report_as_resident(resident, live_server)
    assert status_shown(resident, status_link) == ja("Received; the CSIRT is checking it.")

    # The CSIRT管理者 finds it in the triage queue.
    manager = new_page(chromium)
    login(manager, live_server, komae.csirt_manager)
    manager.locator(f"nav a[href='{reverse('incidents:queue')}']").click()
    manager.wait_for_url(url(live_server, "incidents:queue"))
    manager.locator("main a", has_text=reference).click()
    manager.wait_for_url(re.compile(r"/incidents/\d+/$"))
    pk = int(re.search(r"/incidents/(\d+)/$", manager.url).group(1))
    detail = url(live_server, "incidents:detail", pk)

    # Triage (第10条第1項): an incident, a cyber attack, level 3 (the damage cannot be bounded yet).
    triage = form_at(manager, "incidents:triage", pk)
    triage.locator("input[name=is_incident][value=yes]").check()
    triage.locator("select[name=category]").select_option("cyber_attack")
    triage.locator("input[name=level][value='3']").check()
    triage.locator("textarea[name=reason]").fill(
        "公式サイトのお知らせ一覧に不正なリンクを確認。改ざんの範囲を特定できないためレベル3とする。"
    )
    submit(manager, triage)
    assert manager.url == detail
    expect_success(manager)
    assert manager.locator(".incident-head .badge.state-responding").count() == 1
    assert manager.locator(".incident-head .badge.level-3").count() == 1
    assert manager.locator(f"form[action='{reverse('incidents:triage', args=[pk])}']").count() == 0

    # The checklist names what the policy now requires, with the article it comes from.
    head_item = manager.locator("#checklist li", has_text=CSIRT_HEAD_TO_BE_TOLD)
    assert head_item.count() == 1
    assert ARTICLE_10_2 in head_item.inner_text()
    screenshot(manager, "03-incident-after-triage")

    # Only the CSIRT責任者 may approve publication in komae: the manager is not offered the form.
    assert manager.locator(f"form[action='{reverse('incidents:publication', args=[pk])}']").count() == 0

    # Each item the manager may complete, completed one by one; the outside-body report is not needed.
    checklist_forms = manager.locator("#checklist form[action*='/checklist/']")
    done = 0
    while checklist_forms.count():
        item = checklist_forms.first
        action = item.get_attribute("action")
        text = manager.locator("#checklist li", has=manager.locator(f"form[action='{action}']")).inner_text()
        if "関係機関等" in text:
            item.locator("input[name=outcome]").fill(
                "被害は市ホームページに限られ個人情報の漏えいもないため、関係機関への報告は不要。"
            )
            item.locator("input[name=waived]").check()
        else:
            item.locator("input[name=outcome]").fill("電話で報告済み（11時05分）")
        submit(manager, item)
        expect_success(manager)
        assert manager.locator(f"form[action='{action}']").count() == 0
        done += 1
    assert done == 3  # CSIRT責任者 and 最高情報統括責任者 told; outside bodies decided
    assert "done" in (head_item.get_attribute("class") or "")

    # What was done, on the timeline.
    action_form = form_at(manager, "incidents:add_action", pk)
    action_form.locator("select[name=phase]").select_option("containment")
    action_form.locator("textarea[name=description]").fill("改ざんされたページを公開サーバから取り下げた。")
    submit(manager, action_form)
    expect_success(manager)
    assert "改ざんされたページを公開サーバから取り下げた。" in manager.locator("#timeline").inner_text()

    # The CSIRT責任者 records the publication decision (第12条第1項).
    head = new_page(chromium)
    login(head, live_server, komae.csirt_head)
    goto(head, detail)
    publication = form_at(head, "incidents:publication", pk)
    publication.locator("input[name=decision][value=publish]").check()
    publication.locator("textarea[name=reason]").fill("市民への影響があり得るため、ホームページで公表する。")
    submit(head, publication)
    expect_success(head)
    assert head.locator("#checklist li:not(.done)").count() == 0

    # Recovery, recurrence prevention, and the end, declared by the manager.
    goto(manager, detail)
    for step in ("start_recovery", "start_prevention"):
        submit(manager, form_at(manager, "incidents:transition", pk, step))
        expect_success(manager)
    assert manager.locator(".incident-head .badge.state-preventing").count() == 1
    close = form_at(manager, "incidents:transition", pk, "close")
    close.locator("textarea[name=summary]").fill("ホームページの一部が改ざんされ、不正なリンクが掲載された。")
    close.locator("textarea[name=root_cause]").fill(
        "CMSの管理画面が外部から操作可能で、旧パスワードが使われていた。"
    )
    close.locator("textarea[name=prevention_measures]").fill(
        "管理画面を庁内からのみ接続可能とし、多要素認証を導入した。"
    )
    submit(manager, close)
    expect_success(manager)
    assert manager.locator(".incident-head .badge.state-closed").count() == 1
    assert "CMSの管理画面が外部から操作可能" in manager.locator("main").inner_text()
    assert (
        manager.locator(f"form[action='{reverse('incidents:transition', args=[pk, 'reopen'])}']").count() == 1
    )
    screenshot(manager, "04-incident-closed")

    # The resident learns it is finished, and nothing more.
    assert status_shown(resident, status_link) == ja("Checked and finished. Thank you for your report.")

    checked, problem = verify_chain()
    assert problem is None, problem
    assert checked >= 10

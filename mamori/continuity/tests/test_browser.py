"""An earthquake in Katsushika, clicked through in Debian's chromium: the declaration (5強 with the
headquarters, then 6弱), the roll-call answered on a phone from the mailed link without logging in, the
command chain moving to 代行者1, and the recovery board in the order of recovery."""

import re

import pytest
from django.urls import reverse

from mamori.continuity import rollcall
from mamori.continuity.models import Emergency, RollCallEntry
from mamori.incidents.tests.browser import PHONE, goto, ja, login, new_page, screenshot, submit, url

from .conftest import add_system

pytest_plugins = ["mamori.incidents.tests.browser"]
pytestmark = pytest.mark.django_db(transaction=True)

LINK = re.compile(r"https?://\S+/rollcall/[0-9a-f]+/")


def declare(page, live_server, intensity: str, *, headquarters: bool) -> Emergency:
    goto(page, url(live_server, "continuity:declare"))
    form = page.locator("#declare-form")
    form.locator("select[name=kind]").select_option("earthquake")
    form.locator("select[name=intensity]").select_option(intensity)
    if headquarters:
        form.locator("input[name=headquarters]").check()
    form.locator("textarea[name=scope]").fill("区内で強い揺れ。本庁舎の被害は確認中。")
    submit(page, form)
    return Emergency.objects.order_by("-pk").first()


def test_earthquake_roll_call_on_a_phone_and_the_recovery_board(
    chromium, live_server, katsushika, smtp_server, settings
):
    settings.MAMORI_PAGE_CHANNELS = ["inbox", "email"]
    settings.MAMORI_LINK_BASE_URL = live_server.url
    add_system(katsushika, "S-3", "文書管理システム", None, vendor="C社")
    add_system(katsushika, "S-2", "庁内ネットワーク", "1", vendor="B社", vendor_contact="03-0000-0002")
    add_system(katsushika, "S-1", "住民記録システム", "2", vendor="A社", vendor_contact="03-0000-0001")
    desk = new_page(chromium)
    login(desk, live_server, katsushika.chief_system_officer)

    # 震度5強 with the disaster headquarters: 40 % of the thirteen are called in.
    first = declare(desk, live_server, "5+", headquarters=True)
    assert desk.locator("#convening").inner_text().startswith("13人中6人が参集対象")
    assert desk.locator(".banner.emergency").count() == 1
    end_form = desk.locator("#end-form")
    end_form.locator("textarea[name=note]").fill("本部廃止")
    submit(desk, end_form)
    first.refresh_from_db()
    assert not first.active

    # 震度6弱: everyone is called in, and each gets the roll-call by mail.
    emergency = declare(desk, live_server, "6-", headquarters=False)
    assert desk.locator("#convening").inner_text().startswith("13人中13人が参集対象")
    assert ja("being paged") in desk.locator("#command").inner_text()
    assert rollcall.send_due() == 13
    (body,) = smtp_server.mailbox.bodies_to(katsushika.system_admin.email)
    assert "参集してください" in body
    link = LINK.search(body).group(0)

    # The 電算機管理者 answers on a phone, without logging in: injured, cannot come.
    phone = new_page(chromium, PHONE)
    goto(phone, link)
    form = phone.locator("#answer-form")
    assert phone.locator("#must").inner_text() == ja(
        "You are called in: come to your post if you safely can."
    )
    # Each group of choices is named by its question (fieldset and legend), as a screen reader announces it.
    assert form.get_by_role("group", name=re.compile(ja("Can you come to your post?"))).count() == 1
    form.locator("input[name=safety][value=injured]").check()
    form.locator("input[name=family][value=safe]").check()
    form.locator("input[name=convening][value=cannot]").check()
    form.locator("input[name=remote][value=yes]").check()
    form.locator("textarea[name=message]").fill("足を負傷。自宅から稼働監視を確認します。")
    assert phone.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    screenshot(phone, "continuity-rollcall-phone-form")
    submit(phone, form, expect_status=(200,))
    assert phone.locator("#saved").count() == 1
    # Nothing overflows the phone's width.
    assert phone.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    screenshot(phone, "continuity-rollcall-phone")

    # A wrong answer on the phone is refused in Japanese, and the first answer is kept.
    goto(phone, link)
    form = phone.locator("#answer-form")
    form.locator("input[name=convening][value=later]").check()
    submit(phone, form, expect_status=(400,))
    assert ja("Say when you can come.") in phone.locator(".field-error").all_inner_texts()
    entry = RollCallEntry.objects.get(emergency=emergency, person=katsushika.system_admin)
    assert entry.convening == "cannot"

    # The board: 代行者1 is being paged in their place; the command team shows one who cannot come.
    goto(desk, url(live_server, "continuity:detail", emergency.pk))
    command = desk.locator("#command").inner_text()
    assert str(katsushika.deputy_1) in command and str(katsushika.system_admin) in command
    row = desk.locator("#rollcall-counts tr[data-team='']")
    assert row.locator("td").nth(0).inner_text() == "1 / 4"
    assert row.locator("td").nth(5).inner_text() == "1"  # cannot come

    # The recovery board: 可用性2 first, then 可用性1, then what the plan does not rank.
    names = desk.locator("#recovery tbody tr td:nth-child(2)").all_inner_texts()
    assert names == ["住民記録システム", "庁内ネットワーク", "文書管理システム"]
    desk.locator("#recovery a", has_text="住民記録システム").click()
    form = desk.locator("#item-form")
    form.locator("select[name=status]").select_option("damaged")
    form.locator("textarea[name=damage]").fill("データセンターとの回線断")
    submit(desk, form)
    assert desk.locator("#recovery .status-damaged").count() == 1
    progress = desk.locator("#recovery-progress").inner_text()
    assert "被害あり（停止） 1" in progress and "未確認 2" in progress
    screenshot(desk, "continuity-board")

    # The report for the headquarters downloads as Word.
    with desk.expect_download() as download:
        desk.locator(f"a[href='{reverse('continuity:report', args=[emergency.pk])}']").click()
    assert download.value.suggested_filename.endswith(".docx")

"""The second factor, clicked through in Debian's chromium (tatebayashi 6.2(1)③(イ), 3(1)②(ア)).

The CSIRT責任者 of komae approves publication, so the policy requires a one-time code: at their first
login they enrol an authenticator app from the page (the test reads the key the page shows, as a phone
would scan it) and keep their recovery codes; at the next login the code is asked for, a wrong one
is refused in Japanese, and a recovery code works exactly once. The phone-width enrolment page is
kept as a screenshot.
"""

import base64

import pytest
from django.db.models import Q
from django.urls import reverse
from django_otp.plugins.otp_totp.models import TOTPDevice

from mamori.conftest import PASSWORD
from mamori.journal.models import JournalEntry
from mamori.journal.verify import verify_chain

pytest.register_assert_rewrite("mamori.incidents.tests.browser")
from mamori.incidents.tests.browser import (  # noqa: E402
    PHONE,
    goto,
    ja,
    new_page,
    screenshot,
    submit,
    totp_code,
    url,
)

pytest_plugins = ["mamori.incidents.tests.browser"]
pytestmark = pytest.mark.browser


def password_step(page, live_server, user) -> None:
    goto(page, url(live_server, "login"))
    form = page.locator("form:has(input[name=password])")
    form.locator("input[name=username]").fill(user.username)
    form.locator("input[name=password]").fill(PASSWORD)
    submit(page, form)


def enter_code(page, code: str, *, expect_status=(302,)) -> None:
    form = page.locator(f"form[action='{reverse('accounts:verify')}']")
    form.locator("input[name=code]").fill(code)
    submit(page, form, expect_status=expect_status)


def logged_in(page) -> bool:
    """The full navigation shows only once every login step is done."""
    return page.locator(f"nav a[href='{reverse('incidents:list')}']").count() == 1


def log_out(page) -> None:
    with page.expect_navigation():
        page.locator(f"form[action='{reverse('logout')}'] button").click()


def test_enrol_then_log_in_with_the_code_and_with_a_recovery_code(chromium, live_server, komae):
    head = komae.csirt_head
    page = new_page(chromium, PHONE)

    # First login: the password, then the enrolment page (nothing else is reachable).
    password_step(page, live_server, head)
    assert page.url.startswith(url(live_server, "accounts:enrol"))
    assert page.locator("#totp-qr svg").count() == 1
    screenshot(page, "accounts-01-enrol-phone")
    goto(page, url(live_server, "incidents:list"))
    assert page.url.startswith(url(live_server, "accounts:enrol")), "the list must wait for enrolment"

    secret = page.locator("#totp-secret").inner_text().strip()
    key = base64.b32decode(secret + "=" * (-len(secret) % 8))
    form = page.locator(f"form[action='{reverse('accounts:enrol')}']")
    form.locator("input[name=code]").fill("000000" if totp_code(key) != "000000" else "111111")
    submit(page, form, expect_status=(200,))
    assert page.locator(".field-error").inner_text().startswith("コードが一致しません")
    form = page.locator(f"form[action='{reverse('accounts:enrol')}']")
    form.locator("input[name=code]").fill(totp_code(key))
    submit(page, form, expect_status=(200,))
    codes = page.locator("#recovery-codes li code").all_inner_texts()
    assert len(codes) == 10 and len(set(codes)) == 10
    screenshot(page, "accounts-02-recovery-codes-phone")
    with page.expect_navigation():
        page.locator("#continue").click()
    assert logged_in(page)
    device = TOTPDevice.objects.get(user=head, confirmed=True)
    assert device.bin_key == key
    log_out(page)

    # Next login: the code is asked for; a wrong one is refused, the right one lets them in.
    password_step(page, live_server, head)
    assert page.url.startswith(url(live_server, "accounts:verify"))
    enter_code(page, "123456" if totp_code(key) != "123456" else "654321", expect_status=(200,))
    assert page.locator(".field-error").inner_text() == ja(
        "The code is not right, or it was already used. Wait for the next code and try again."
    )
    # django-otp makes each wrong code double the wait before the next try (1 s after the first).
    page.wait_for_timeout(1100)
    device.refresh_from_db()
    enter_code(page, totp_code(key, after_step=device.last_t))
    assert logged_in(page)
    log_out(page)

    # A recovery code works once.
    password_step(page, live_server, head)
    enter_code(page, codes[0])
    assert logged_in(page)
    log_out(page)
    password_step(page, live_server, head)
    enter_code(page, codes[0], expect_status=(200,))
    assert not logged_in(page)

    actions = list(
        JournalEntry.objects.filter(
            Q(action__startswith="access.second_factor") | Q(action="access.recovery_code_used")
        )
        .order_by("seq")
        .values_list("action", flat=True)
    )
    assert actions == [
        "access.second_factor_enrolled",
        "access.second_factor_failed",
        "access.second_factor_verified",
        "access.recovery_code_used",
        "access.second_factor_failed",
    ]
    used = JournalEntry.objects.get(action="access.recovery_code_used")
    assert used.data["recovery_codes_left"] == 9
    checked, problem = verify_chain()
    assert problem is None and checked > 0

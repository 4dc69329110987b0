"""Click-through tests in Debian's chromium, driven by Playwright's sync API.

Loaded by test modules with ``pytest_plugins = ["mamori.incidents.tests.browser"]``. Nothing here is
autouse: a plugin's fixtures apply to the whole session, and only browser tests should pay for them.

We never download a browser (``playwright install`` is forbidden): ``make test`` installs Debian's
chromium and a Japanese font, and without them the browser tests are skipped, saying why.

Elements are found by what does not change when the UI is translated: form ``action`` URLs (from
``reverse``), input ``name``s, ids and classes. Where a test must compare visible text, ``ja()``
gives what the page shows for an English source string.
"""

import base64
import os
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.db import connections
from django.urls import reverse
from django.utils import translation

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}
ARTIFACTS = Path(settings.BASE_DIR) / "test-artifacts"
TIMEOUT_MS = 15_000


def ja(source: str) -> str:
    """What a page in Japanese shows for ``source`` (the English msgid, the stable part)."""
    with translation.override("ja"):
        return translation.gettext(source)


@pytest.fixture
def chromium(transactional_db: None, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """Debian's chromium, started for one test and closed after it."""
    if not (CHROMIUM.is_file() and os.access(CHROMIUM, os.X_OK)):
        pytest.skip(f"browser tests need Debian's chromium at {CHROMIUM} (make test installs it)")
    from playwright.sync_api import sync_playwright

    # Playwright's sync API runs an event loop in this thread, so Django would refuse the ORM calls
    # the test makes between clicks (fixtures, journal check). The test is still fully synchronous.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()
            # While that loop runs, Django hands this thread connections of their own. Left open,
            # they keep PostgreSQL from dropping the test database at the end of the session.
            connections.close_all()


def new_page(browser: Any, viewport: dict[str, int] | None = None) -> Any:
    """A page in a context of its own: one person, with their own cookies, in Japan."""
    context = browser.new_context(
        viewport=viewport or DESKTOP,
        locale="ja-JP",
        timezone_id="Asia/Tokyo",
        is_mobile=viewport == PHONE,
        has_touch=viewport == PHONE,
    )
    page = context.new_page()
    page.set_default_timeout(TIMEOUT_MS)
    return page


@pytest.fixture
def browser_page(chromium: Any) -> Any:
    """A desktop-sized page for the first person of the scenario."""
    return new_page(chromium)


def url(live_server: Any, name: str, *args: Any) -> str:
    return live_server.url + reverse(name, args=args)


def goto(page: Any, address: str) -> Any:
    """Open ``address`` and insist that it answered 200."""
    response = page.goto(address)
    assert response is not None and response.status == 200, (
        f"{address} answered {response.status if response else 'nothing'}"
    )
    return response


def submit(page: Any, form: Any, *, expect_status: tuple[int, ...] = (302, 303)) -> Any:
    """Press the submit button of ``form`` and wait until the next page has loaded.

    A form rejected by the server is shown again with status 400 or 409; the assertion then quotes
    the errors the person would see, not a timeout.
    """
    action = form.get_attribute("action") or ""
    with (
        page.expect_navigation(),
        page.expect_response(lambda r: r.request.method == "POST" and r.url.endswith(action)) as posted,
    ):
        form.locator("button[type=submit]").click()
    status = posted.value.status
    if status not in expect_status:
        errors = page.locator(".errors, .field-error").all_inner_texts()
        raise AssertionError(f"POST {action or page.url} answered {status}: {errors}")
    return posted.value


def login(page: Any, live_server: Any, user: Any) -> None:
    """Log ``user`` in through the login page (password: conftest.PASSWORD)."""
    from mamori.conftest import PASSWORD

    goto(page, url(live_server, "login"))
    form = page.locator("form:has(input[name=password])")
    form.locator("input[name=username]").fill(user.username)
    form.locator("input[name=password]").fill(PASSWORD)
    submit(page, form)
    second_factor(page, user)
    assert page.locator(f"nav a[href='{reverse('incidents:list')}']").count() == 1, (
        f"{user.username} is not logged in"
    )


def totp_code(key: bytes, *, after_step: int = -1) -> str:
    """The code an authenticator app shows now for ``key`` (or for the next 30-second step, if
    this step's code was already used: the server accepts one step either side)."""
    from django_otp.oath import TOTP

    totp = TOTP(key)
    totp.time = time.time()
    if totp.t() <= after_step:
        totp.time += 30 * (after_step + 1 - totp.t())
    return f"{totp.token():06d}"


def second_factor(page: Any, user: Any) -> None:
    """Do the second step of login as the person's phone would: enrol the app if the page asks
    (reading the key the page shows) and keep the recovery codes, or enter the current code."""
    from django_otp.plugins.otp_totp.models import TOTPDevice

    if page.locator("#totp-secret").count():
        secret = page.locator("#totp-secret").inner_text().strip()
        form = page.locator(f"form[action='{reverse('accounts:enrol')}']")
        form.locator("input[name=code]").fill(totp_code(base64.b32decode(secret + "=" * (-len(secret) % 8))))
        submit(page, form, expect_status=(200,))
        assert page.locator("#recovery-codes li").count() == 10
        with page.expect_navigation():
            page.locator("#continue").click()
    elif page.locator(f"form[action='{reverse('accounts:verify')}']").count():
        device = TOTPDevice.objects.get(user=user, confirmed=True)
        form = page.locator(f"form[action='{reverse('accounts:verify')}']")
        form.locator("input[name=code]").fill(totp_code(device.bin_key, after_step=device.last_t))
        submit(page, form)


def screenshot(page: Any, name: str) -> Path:
    """A full-page PNG in test-artifacts/ (gitignored), to look at after the run."""
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path

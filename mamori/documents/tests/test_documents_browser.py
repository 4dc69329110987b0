"""Clicked through in Debian's chromium: from an incident to its outside-body texts and documents, and
the statistics with their charts. Screenshots in test-artifacts/documents-*.png and statistics-*.png."""

import io

import pytest
from docx import Document

from mamori.incidents.tests import scenario
from mamori.journal.models import JournalEntry

pytest.register_assert_rewrite("mamori.incidents.tests.browser")
from mamori.incidents.tests.browser import (  # noqa: E402
    PHONE,
    goto,
    ja,
    login,
    new_page,
    screenshot,
    submit,
    url,
)

pytest_plugins = ["mamori.incidents.tests.browser"]
pytestmark = pytest.mark.browser


def test_handler_fills_the_ransomware_form_and_takes_the_documents(komae, live_server, chromium):
    incident = scenario.report(
        komae, description="共有フォルダのファイルが暗号化され、拡張子が .akira になった"
    )
    scenario.triage(komae, incident, level=3)
    page = new_page(chromium)
    login(page, live_server, komae.handler)
    goto(page, url(live_server, "incidents:detail", incident.pk))
    page.get_by_role("link", name=ja("Texts for outside bodies")).click()
    page.wait_for_url(url(live_server, "documents:outside_texts", incident.pk))
    form = page.locator("form:has(textarea[name=nco_encrypted_extension])")
    form.locator("textarea[name=nco_encrypted_extension]").fill(".akira")
    form.locator("textarea[name=nco_ransomware_name]").fill("Akira")
    submit(page, form)
    text = page.locator("#nco_ransomware-text").input_value()
    assert "Akira" in text and ".akira" in text and "共有フォルダのファイルが暗号化され" in text
    screenshot(page, "documents-outside-texts")

    goto(page, url(live_server, "incidents:detail", incident.pk))
    with page.expect_download() as download:
        page.get_by_role("link", name=ja("First report to the CISO")).click()
    assert download.value.suggested_filename == f"{incident.reference}_第一報.docx"
    document = Document(io.BytesIO(open(download.value.path(), "rb").read()))  # noqa: SIM115
    assert "情報セキュリティインシデントの発生について（第一報）" in [p.text for p in document.paragraphs]
    assert JournalEntry.objects.filter(action="document.generated", actor=komae.handler).count() == 1


def test_statistics_page_draws_its_charts_on_a_phone(komae, live_server, chromium):
    for level in (1, 2, 2, 3):
        scenario.triage(komae, scenario.report(komae), level=level)
    page = new_page(chromium, PHONE)
    login(page, live_server, komae.csirt_head)
    page.get_by_role("link", name=ja("Statistics")).click()
    page.wait_for_url(url(live_server, "statistics:index"))
    charts = page.locator("svg[role=img]")
    assert charts.count() == 4
    assert charts.first.bounding_box()["width"] <= PHONE["width"]
    assert page.locator("body").inner_text().count("令和8年度") >= 1
    screenshot(page, "statistics-phone")

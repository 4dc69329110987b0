"""The register of information systems clicked through in chromium: the chief adds a system, sees its
handling rules, downloads the register as Excel, changes it in the workbook and imports it back (the
dry run first, then all rows). Screenshots in test-artifacts/ show the pages as a user sees them."""

import io

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from mamori.journal.models import JournalEntry

from ..models import InformationSystem
from ..workbook import SYSTEMS_SHEET

pytest.register_assert_rewrite("mamori.incidents.tests.browser")
from mamori.incidents.tests.browser import goto, login, screenshot, submit, url  # noqa: E402

pytest_plugins = ["mamori.incidents.tests.browser"]


@pytest.mark.browser
def test_the_chief_keeps_the_register_and_round_trips_it_through_excel(
    register, live_server, browser_page, tmp_path
):
    page = browser_page
    chief = register.org.chief_security_officer
    login(page, live_server, chief)

    # The registers' hub leads to the systems register.
    goto(page, url(live_server, "home:registers"))
    page.locator(f"#registers a[href='{reverse('assets:list')}']").click()
    page.wait_for_url(url(live_server, "assets:list"))
    assert page.locator("#systems tbody tr").count() == 2

    # Add a system through the form.
    page.locator(f"a[href='{reverse('assets:create')}']").click()
    form = page.locator("#system-form")
    form.locator("input[name=code]").fill("S-010")
    form.locator("input[name=name]").fill("庶務事務システム")
    form.locator("input[name=administrator]").fill(register.org.system_admin.username)
    form.locator("select[name=segment]").select_option("lgwan")
    form.locator("select[name=class_confidentiality]").select_option("2")
    form.locator("select[name=class_integrity]").select_option("2")
    form.locator("select[name=class_availability]").select_option("1")
    form.locator("input[name=personal_data]").check()
    form.locator("input[name=personal_data_count]").fill("350")
    screenshot(page, "systems-01-form")
    submit(page, form)
    system = InformationSystem.objects.get(code="S-010")
    assert page.url == url(live_server, "assets:detail", system.pk)
    assert "必要以上の複製及び配布禁止" in page.locator("#classification").inner_text()  # 機密性2's handling
    screenshot(page, "systems-02-detail")

    # Download the register, change a cell, import it back.
    goto(page, url(live_server, "assets:list"))
    with page.expect_download() as downloading:
        page.locator(f"a[href='{reverse('assets:export')}']").click()
    book = load_workbook(io.BytesIO(open(downloading.value.path(), "rb").read()))  # noqa: SIM115
    sheet = book[SYSTEMS_SHEET]
    column = {c.value: i + 1 for i, c in enumerate(sheet[1])}
    row = next(
        r
        for r in range(2, sheet.max_row + 1)
        if sheet.cell(row=r, column=column["管理番号"]).value == "S-010"
    )
    sheet.cell(row=row, column=column["設置場所"], value="本部 2階 サーバ室")
    changed = tmp_path / "台帳.xlsx"
    book.save(changed)

    page.locator(f"a[href='{reverse('assets:import')}']").click()
    upload = page.locator("#upload")
    upload.locator("input[name=file]").set_input_files(str(changed))
    submit(page, upload, expect_status=(200,))
    assert page.locator("#row-errors").count() == 0
    assert "S-010" in page.locator("#import-preview").inner_text()
    assert InformationSystem.objects.get(code="S-010").location == ""  # the dry run saved nothing
    screenshot(page, "systems-03-import-check")
    submit(page, page.locator("#confirm-import"))
    assert page.url == url(live_server, "assets:list")
    assert InformationSystem.objects.get(code="S-010").location == "本部 2階 サーバ室"
    assert JournalEntry.objects.filter(action="systems.imported").count() == 1

"""The CSIRT管理者 brings the register kept in Excel into Mamori, clicked through in chromium, and
downloads the register again from the incident list."""

import io

import pytest
from django.urls import reverse
from openpyxl import Workbook, load_workbook

from mamori.incidents.models import Incident
from mamori.journal.models import JournalEntry

# The helpers are also this module's plugin (below); registered first, their asserts read well.
pytest.register_assert_rewrite("mamori.incidents.tests.browser")
from .browser import goto, login, screenshot, submit, url  # noqa: E402

pytest_plugins = ["mamori.incidents.tests.browser"]


def register_file(path) -> None:
    wb = Workbook()
    ws = wb.active
    ws.append(["令和6年度 情報セキュリティインシデント管理台帳"])
    ws.append([])
    # fmt: off
    ws.append(["番号", "件名", "発生日", "分類", "レベル", "対応者", "状態"])
    ws.append(["R6-0007", "USBメモリの紛失", "2024/6/3 14:00", "盗難・紛失・漏えい", "レベル1", "komae-handler", "収束"])
    ws.append(["", "標的型メールの受信", "令和6年7月1日", "外部からのサイバー攻撃", "2", "", ""])
    # fmt: on
    wb.save(path)


@pytest.mark.browser
def test_the_manager_imports_the_old_register_and_exports_it_again(
    komae, live_server, browser_page, tmp_path, settings
):
    settings.DATA_DIR = tmp_path
    page = browser_page
    source = tmp_path / "旧台帳.xlsx"
    register_file(source)
    login(page, live_server, komae.csirt_manager)

    # From the incident list, the import link (only for import_register).
    goto(page, url(live_server, "incidents:list"))
    page.locator(f"a[href='{reverse('incidents:register_import')}']").click()
    page.wait_for_url(url(live_server, "incidents:register_import"))
    form = page.locator("form[enctype='multipart/form-data']")
    form.locator("input[name=file]").set_input_files(str(source))
    submit(page, form)

    # The header row under the title is found and the columns are chosen by their names.
    assert page.url == url(live_server, "incidents:register_import_columns")
    mapping = page.locator("#column-mapping")
    assert mapping.locator("select[name=field_reference]").input_value() == "A"
    assert mapping.locator("select[name=field_opened_at]").input_value() == "C"
    assert mapping.locator("select[name=field_handler]").input_value() == "F"
    screenshot(page, "register-01-columns")
    submit(page, mapping)

    # The dry run lists what would be created; nothing is saved yet.
    assert page.url == url(live_server, "incidents:register_import_check")
    assert page.locator("#row-errors").count() == 0
    assert page.locator("#import-preview tbody tr").count() == 2
    assert "R6-0008" in page.locator("#import-preview").inner_text()  # the next number after R6-0007
    assert not Incident.objects.exists()
    screenshot(page, "register-02-check")
    submit(page, page.locator("#confirm-import"))

    assert page.url == url(live_server, "incidents:list")
    assert page.locator(".messages .msg.success").count() == 1
    assert sorted(Incident.objects.values_list("reference", flat=True)) == ["R6-0007", "R6-0008"]
    assert JournalEntry.objects.filter(action="incident.imported").count() == 2

    # The export link downloads the register with both.
    with page.expect_download() as downloading:
        page.locator(f"a[href^='{reverse('incidents:register_export')}']").click()
    download = downloading.value
    assert download.suggested_filename.endswith(".xlsx")
    sheet = load_workbook(io.BytesIO(open(download.path(), "rb").read())).worksheets[0]  # noqa: SIM115
    references = [row[0] for row in sheet.iter_rows(min_row=2, values_only=True)]
    assert references == ["R6-0007", "R6-0008"]

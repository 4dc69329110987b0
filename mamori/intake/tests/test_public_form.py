"""The public form: no account, rate-limited, spam-resistant, accessible, never showing anyone else's data."""

import re
import time

import pytest
from django.core import signing
from django.test import Client, override_settings
from django.urls import clear_url_caches

from mamori.conftest import sign_in
from mamori.intake.forms import FORM_SALT
from mamori.intake.models import Report

pytestmark = pytest.mark.django_db

VALID = {
    "discovered_at": "2026-11-20T09:30",
    "location": "市ホームページ",
    "description": "トップページが見知らぬ画像に書き換えられています",
    "reporter_name": "市民 太郎",
    "reporter_contact": "taro@example.jp",
    "website": "",
}


def started(seconds_ago: float = 10) -> str:
    """A form stamp signed as if the page had been open ``seconds_ago``."""
    return signing.Signer(salt=FORM_SALT).sign(str(time.time() - seconds_ago))


def post(client: Client, **overrides):
    return client.post("/report/", {**VALID, "started": started(), **overrides}, REMOTE_ADDR="203.0.113.7")


def test_form_asks_for_what_the_policy_requires(komae):
    page = Client().get("/report/").content.decode()
    for name in ("discovered_at", "location", "description", "reporter_name", "reporter_contact"):
        assert re.search(
            rf'name="{name}"[^>]*aria-required="true"|aria-required="true"[^>]*name="{name}"', page
        ), name
    assert '<html lang="ja">' in page
    assert "03-3430-1189" in page  # the PoC table (komae 別表1)


def test_resident_gets_a_reference_and_a_status_link_that_shows_only_their_status(komae):
    client = Client()
    response = post(client)
    assert response.status_code == 302
    thanks = client.get(response["Location"]).content.decode()
    reference = Report.objects.get().reference
    assert reference in thanks
    status_url = re.search(r'href="(http://testserver/report/status/[^"]+)"', thanks).group(1)
    status = Client().get(status_url)
    assert status.status_code == 200 and reference in status.content.decode()
    # The status page says nothing about the incident itself.
    assert "書き換え" not in status.content.decode() and "市民 太郎" not in status.content.decode()
    # The secret is shown once: the thanks page cannot be reloaded.
    assert client.get("/report/thanks/").status_code == 302
    assert Client().get("/report/status/not-a-token/").status_code == 404


def test_missing_items_are_named_and_nothing_is_saved(komae):
    response = post(Client(), discovered_at="", location="")
    assert response.status_code == 400
    page = response.content.decode()
    assert 'id="error-summary"' in page and "#id_discovered_at" in page and "#id_location" in page
    assert not Report.objects.exists()


@pytest.mark.parametrize("value", ["2026-02-30T10:00", "2099-01-01T10:00", "yesterday", "1899-01-01T10:00"])
def test_impossible_dates_are_refused(komae, value):
    response = post(Client(), discovered_at=value)
    assert response.status_code in (400, 422)
    assert not Report.objects.exists()


def test_honeypot_and_too_fast_submissions_are_refused(komae):
    assert post(Client(), website="http://spam.example").status_code == 400
    assert post(Client(), started=started(seconds_ago=0.5)).status_code == 400
    assert post(Client(), started="forged:token").status_code == 400
    assert post(Client(), started=started(seconds_ago=2 * 24 * 3600)).status_code == 400
    assert not Report.objects.exists()


def test_rate_limit_per_address(komae, settings):
    settings.MAMORI_PUBLIC_REPORTS_PER_HOUR = 2
    client = Client()
    assert post(client).status_code == 302
    assert post(client).status_code == 302
    refused = post(client)
    assert refused.status_code == 429
    assert Report.objects.count() == 2
    # Another address is not affected; and no address is stored, only a keyed hash.
    assert (
        client.post("/report/", {**VALID, "started": started()}, REMOTE_ADDR="198.51.100.1").status_code
        == 302
    )
    assert not Report.objects.filter(source_key__contains="203.0.113.7").exists()


@pytest.mark.parametrize("field", ["location", "description", "reporter_name", "reporter_contact"])
def test_script_in_any_field_is_rendered_inert(komae, field):
    payload = '<script>alert("x")</script><img src=x onerror=alert(1)>'
    assert post(Client(), **{field: payload}).status_code == 302
    report = Report.objects.get()
    staff = Client()
    sign_in(staff, komae.csirt_manager)
    for url in (f"/incidents/{report.incident_id}/", "/incidents/queue/", "/incidents/"):
        page = staff.get(url).content.decode()
        assert "<script>alert" not in page and "<img src=x" not in page
    assert "default-src 'self'" in staff.get(f"/incidents/{report.incident_id}/")["Content-Security-Policy"]


def test_oversized_attachment_is_refused_and_nothing_saved(komae, settings):
    from django.core.files.uploadedfile import SimpleUploadedFile

    settings.MAMORI_MAX_UPLOAD_BYTES = 100
    big = SimpleUploadedFile("screen.png", b"x" * 101, content_type="image/png")
    response = Client().post(
        "/report/", {**VALID, "started": started(), "attachments": big}, REMOTE_ADDR="203.0.113.9"
    )
    assert response.status_code == 422
    assert not Report.objects.exists()


def test_public_only_process_serves_nothing_but_the_form(komae, settings):
    settings.ROOT_URLCONF = "config.urls_public"
    clear_url_caches()
    try:
        client = Client()
        assert client.get("/report/").status_code == 200
        assert client.get("/healthz").status_code == 200
        for url in ("/", "/incidents/", "/admin/", "/api/openapi.json", "/accounts/login/"):
            assert client.get(url).status_code == 404, url
    finally:
        clear_url_caches()


@override_settings(LANGUAGE_CODE="ja")
def test_public_form_works_without_javascript_or_outside_resources(komae):
    page = Client().get("/report/").content.decode()
    assert not re.search(r'(src|href)="https?://', page)
    assert "<script" not in page


@pytest.mark.parametrize("name", ["invoice.exe", "macro.docm", "noextension", "report.pdf.js"])
def test_executable_or_unknown_file_types_are_refused(komae, name):
    from django.core.files.uploadedfile import SimpleUploadedFile

    upload = SimpleUploadedFile(name, b"MZ\x90\x00", content_type="application/octet-stream")
    response = Client().post(
        "/report/", {**VALID, "started": started(), "attachments": upload}, REMOTE_ADDR="203.0.113.10"
    )
    assert response.status_code == 422
    assert name in response.content.decode()
    assert not Report.objects.exists()


def test_a_screenshot_is_accepted(komae):
    from django.core.files.uploadedfile import SimpleUploadedFile

    upload = SimpleUploadedFile("画面.PNG", b"\x89PNG\r\n\x1a\n....", content_type="image/png")
    response = Client().post(
        "/report/", {**VALID, "started": started(), "attachments": upload}, REMOTE_ADDR="203.0.113.11"
    )
    assert response.status_code == 302
    assert Report.objects.get().attachments.get().original_name == "画面.PNG"


@pytest.mark.parametrize(
    "name,content",
    [
        ("invoice.pdf", b"<html><script>alert(1)</script></html>"),
        ("photo.png", b"MZ\x90\x00 not an image"),
        ("note.txt", b"<!DOCTYPE html><html></html>"),
    ],
)
def test_files_are_checked_by_content_not_by_name(komae, name, content):
    from django.core.files.uploadedfile import SimpleUploadedFile

    upload = SimpleUploadedFile(name, content, content_type="application/pdf")
    response = Client().post(
        "/report/", {**VALID, "started": started(), "attachments": upload}, REMOTE_ADDR="203.0.113.12"
    )
    assert response.status_code == 422
    assert not Report.objects.exists()

"""The documents of an incident, opened back as a reader would: Word with python-docx, PDF with
poppler's pdftotext and pdftoppm (Debian's poppler-utils, installed by `make test`)."""

import io
import subprocess
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.urls import reverse
from docx import Document

from mamori.conftest import sign_in
from mamori.documents.context import incident_context
from mamori.documents.samples import sample_incident_context
from mamori.incidents import response
from mamori.incidents.tests import scenario
from mamori.incidents.tests.browser import ARTIFACTS
from mamori.journal.models import JournalEntry

JST = ZoneInfo("Asia/Tokyo")
POPPLER = "/usr/bin"  # Debian's poppler-utils


def document_text(data: bytes) -> str:
    """Every paragraph and table cell of a Word file, in order."""
    doc = Document(io.BytesIO(data))
    parts = [p.text for p in doc.paragraphs]
    for table in doc.tables:
        for row in table.rows:
            parts += [c.text for c in row.cells]
    return "\n".join(parts)


def closed_incident(org):
    incident = scenario.report(org, description="市民課のPCに身代金要求の画面が表示された <重要> & 至急")
    scenario.triage(org, incident, level=2)
    scenario.act(org, incident, "LANケーブルを抜き端末を隔離した")
    incident.refresh_from_db()
    response.add_evidence(
        incident,
        actor=org.handler,
        expected_version=incident.version,
        description="端末のメモリダンプ",
        upload=io.BytesIO(b"memory dump"),
        filename="memdump.bin",
        holder="情報システム係 金庫",
    )
    return scenario.close(org, incident)


def test_final_report_docx_has_every_section_with_the_incident_content(komae, client):
    incident = closed_incident(komae)
    sign_in(client, komae.csirt_head)
    response_ = client.get(reverse("documents:incident_document", args=[incident.pk, "final_report"]))
    assert response_.status_code == 200
    assert response_["Content-Type"].startswith("application/vnd.openxmlformats")
    assert "filename*=utf-8''" in response_["Content-Disposition"]
    text = document_text(response_.content)
    for expected in (
        "情報セキュリティインシデント対応報告書",
        incident.reference,
        "市民課のPCに身代金要求の画面が表示された <重要> & 至急",  # escaped into XML, read back intact
        "LANケーブルを抜き端末を隔離した",
        "memdump.bin",
        incident.evidence.get().sha256,
        "添付ファイルの実行",  # root cause
        "添付ファイルの無害化を導入",  # prevention
        "公表しない",
        "令和",  # dates in 和暦 by default
        "狛江市",
    ):
        assert expected in text, expected
    assert "{{" not in text and "{%" not in text
    entry = JournalEntry.objects.filter(action="document.generated").last()
    assert entry.data == {"kind": "final_report", "incident": incident.reference, "format": "docx"}
    assert entry.actor == komae.csirt_head


def test_dates_follow_the_readers_preference(komae, client):
    incident = closed_incident(komae)
    komae.csirt_head.date_style = "seireki"
    komae.csirt_head.save()
    sign_in(client, komae.csirt_head)
    text = document_text(
        client.get(reverse("documents:incident_document", args=[incident.pk, "final_report"])).content
    )
    year = incident.opened_at.astimezone(JST).year
    assert f"{year}年" in text and "令和" not in text.split("対応報告書")[1].split("年度")[1]


def test_final_report_pdf_embeds_the_font_and_reads_back_in_japanese(komae, client, tmp_path):
    incident = closed_incident(komae)
    sign_in(client, komae.csirt_head)
    response_ = client.get(reverse("documents:final_report_pdf", args=[incident.pk]))
    assert response_.status_code == 200 and response_["Content-Type"] == "application/pdf"
    pdf = tmp_path / "report.pdf"
    pdf.write_bytes(response_.content)
    text = subprocess.run(
        [f"{POPPLER}/pdftotext", "-layout", str(pdf), "-"], capture_output=True, check=True
    ).stdout.decode()
    for expected in (
        "情報セキュリティインシデント対応報告書",
        incident.reference,
        "LANケーブルを抜き端末を隔離した",
        "添付ファイルの無害化を導入",
    ):
        assert expected in text, expected
    fonts = subprocess.run([f"{POPPLER}/pdffonts", str(pdf)], capture_output=True, check=True).stdout.decode()
    assert "IPAexGothic" in fonts and " yes " in fonts  # embedded (emb = yes), not left to the reader
    # The first page as an image in test-artifacts/, to look at as a reader would.
    ARTIFACTS.mkdir(exist_ok=True)
    subprocess.run(
        [
            f"{POPPLER}/pdftoppm",
            "-png",
            "-r",
            "60",
            "-f",
            "1",
            "-l",
            "1",
            "-singlefile",
            str(pdf),
            str(ARTIFACTS / "documents-final-report"),
        ],
        check=True,
    )
    page = ARTIFACTS / "documents-final-report.png"
    assert page.exists() and page.stat().st_size > 10_000


@pytest.mark.parametrize(
    ("kind", "expected"),
    [
        ("first_report", ["第一報", "市民課のPCに身代金要求", "端末1台"]),
        ("closure", ["収束宣言", "添付ファイルの無害化を導入"]),
        (
            "press_release",
            ["報道発表資料（案）", "想定問答", "個人情報の漏えいはあるのか", "狛江市CSIRT POC"],
        ),
        ("outside_texts", ["個人情報保護委員会", "ランサムウェア", "DDoS"]),
    ],
)
def test_other_incident_documents(komae, client, kind, expected):
    incident = closed_incident(komae)
    sign_in(client, komae.handler)
    response_ = client.get(reverse("documents:incident_document", args=[incident.pk, kind]))
    assert response_.status_code == 200
    text = document_text(response_.content)
    for item in expected:
        assert item in text, item
    assert "{{" not in text and "{%" not in text


def test_first_report_can_be_made_before_triage(komae, client):
    incident = scenario.report(komae)
    sign_in(client, komae.poc)
    response_ = client.get(reverse("documents:incident_document", args=[incident.pk, "first_report"]))
    assert response_.status_code == 200
    assert "評価中" in document_text(response_.content)


def test_documents_are_for_those_who_see_the_incident_in_full(komae, client, outsider):
    incident = closed_incident(komae)
    urls = [
        reverse("documents:incident_document", args=[incident.pk, "final_report"]),
        reverse("documents:final_report_pdf", args=[incident.pk]),
        reverse("documents:outside_texts", args=[incident.pk]),
        reverse("documents:incident_document", args=[incident.pk, "nonsense"]),
    ]
    for person in (komae.staff, outsider):
        sign_in(client, person)
        for url in urls:
            assert client.get(url).status_code == 404, (person, url)
    assert not JournalEntry.objects.filter(action="document.generated").exists()


def test_context_placeholders_match_the_sample_used_to_check_templates(komae):
    """An uploaded template is tried against the sample: it must offer exactly the real placeholders."""
    incident = closed_incident(komae)

    def shape(value):
        if isinstance(value, dict):
            return {k: shape(v) for k, v in value.items()}
        if isinstance(value, list):
            return [shape(value[0])] if value else []
        return type(value).__name__

    real = shape(incident_context(incident, style="wareki", user=komae.handler))
    sample = shape(sample_incident_context())
    assert real.keys() == sample.keys()
    for key, value in real.items():
        if isinstance(value, dict):
            assert value.keys() == sample[key].keys(), key
        if isinstance(value, list) and value and isinstance(value[0], dict):
            assert value[0].keys() == sample[key][0].keys(), key


@pytest.mark.parametrize(
    ("moment", "fiscal_year", "reference_prefix", "opened"),
    [
        (datetime(2019, 3, 31, 23, 59, tzinfo=JST), "平成30年度", "H30-", "平成31年3月31日 23:59"),
        (datetime(2019, 4, 30, 23, 59, tzinfo=JST), "令和元年度", "R1-", "平成31年4月30日 23:59"),
        (datetime(2019, 5, 1, 0, 0, tzinfo=JST), "令和元年度", "R1-", "令和元年5月1日 00:00"),
        (datetime(2027, 3, 31, 23, 59, tzinfo=JST), "令和8年度", "R8-", "令和9年3月31日 23:59"),
        (datetime(2027, 4, 1, 0, 0, tzinfo=JST), "令和9年度", "R9-", "令和9年4月1日 00:00"),
    ],
)
def test_fiscal_year_and_era_in_the_report(komae, moment, fiscal_year, reference_prefix, opened):
    """A fiscal year is named by the era in force at its end (docs/adr/0002): FY2019, begun under 平成,
    is 令和元年度; a day is named by the era of that day."""
    with time_machine.travel(moment, tick=False):
        incident = scenario.report(komae)
    context = incident_context(incident, style="wareki", user=komae.handler)
    assert context["incident"]["reference"].startswith(reference_prefix)
    assert context["incident"]["fiscal_year"] == fiscal_year
    assert context["incident"]["opened_at"] == opened


def test_without_the_font_the_pdf_says_what_to_install_and_word_still_works(komae, client, settings):
    incident = closed_incident(komae)
    settings.MAMORI_PDF_FONT = "/nonexistent/ipaexg.ttf"
    sign_in(client, komae.csirt_head)
    response_ = client.get(reverse("documents:final_report_pdf", args=[incident.pk]))
    assert response_.status_code == 503
    assert "make fonts" in response_.content.decode()
    assert not JournalEntry.objects.filter(action="document.generated").exists()
    docx = client.get(reverse("documents:incident_document", args=[incident.pk, "final_report"]))
    assert docx.status_code == 200

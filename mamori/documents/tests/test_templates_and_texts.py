"""An organisation's own Word template, and the outside-body texts page."""

import io

from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from docx import Document

from mamori.conftest import sign_in
from mamori.documents.default_templates import default_template
from mamori.documents.models import DocumentTemplate
from mamori.incidents.tests import scenario
from mamori.journal.models import JournalEntry

from .test_incident_documents import closed_incident, document_text


def make_staff(person):
    person.is_staff = True
    person.save(update_fields=["is_staff"])
    return person


def own_template(body: str) -> bytes:
    """A template as an organisation would write it in Word: its own letterhead and wording."""
    doc = Document()
    doc.add_paragraph("狛江市 総務部 公印省略")
    doc.add_paragraph(body)
    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()


def upload(client, kind: str, data: bytes, name: str = "報告書.docx"):
    return client.post(
        reverse("documents:template_upload", args=[kind]),
        {"file": SimpleUploadedFile(name, data, content_type="application/octet-stream")},
    )


def test_an_organisation_replaces_the_final_report_template_and_goes_back(komae, client):
    admin = make_staff(komae.csirt_head)
    incident = closed_incident(komae)
    sign_in(client, admin)
    assert client.get(reverse("documents:templates")).status_code == 200
    # Start from Mamori's template, as the page offers.
    default = client.get(reverse("documents:template_file", args=["final_report", "default"]))
    assert default.status_code == 200 and default.content == default_template("final_report")

    response = upload(
        client, "final_report", own_template("件名：{{ incident.title }}／原因：{{ incident.root_cause }}")
    )
    assert response.status_code == 302
    template = DocumentTemplate.objects.get(organization=komae.organization, kind="final_report", active=True)
    assert JournalEntry.objects.filter(
        action="document_template.replaced", object_id=str(template.pk)
    ).exists()

    text = document_text(
        client.get(reverse("documents:incident_document", args=[incident.pk, "final_report"])).content
    )
    assert "狛江市 総務部 公印省略" in text
    assert f"件名：{incident.title}／原因：添付ファイルの実行" in text

    assert client.post(reverse("documents:template_revert", args=["final_report"])).status_code == 302
    text = document_text(
        client.get(reverse("documents:incident_document", args=[incident.pk, "final_report"])).content
    )
    assert "公印省略" not in text and "情報セキュリティインシデント対応報告書" in text
    assert JournalEntry.objects.filter(action="document_template.reverted").exists()
    # The uploaded file stays on record.
    assert DocumentTemplate.objects.filter(organization=komae.organization, kind="final_report").count() == 1


def test_a_template_with_a_wrong_placeholder_is_refused_with_its_name(komae, client):
    sign_in(client, make_staff(komae.csirt_head))
    response = upload(client, "final_report", own_template("{{ incident.titel }}"))
    assert response.status_code == 400
    page = response.content.decode()
    assert "titel" in page and "差込み" in page
    assert not DocumentTemplate.objects.exists()
    assert not JournalEntry.objects.filter(action="document_template.replaced").exists()


def test_a_file_that_is_not_word_is_refused(komae, client):
    sign_in(client, make_staff(komae.csirt_head))
    for data in (b"%PDF-1.4 not word", b"PK\x03\x04 broken zip", own_template("{% for x in %}")):
        response = upload(client, "closure", data)
        assert response.status_code == 400
        assert "Word" in response.content.decode()
    assert not DocumentTemplate.objects.exists()


def test_a_template_cannot_reach_beyond_its_context(komae, client):
    """Templates run in Jinja's sandbox: no attribute walk to Python internals."""
    sign_in(client, make_staff(komae.csirt_head))
    response = upload(client, "closure", own_template("{{ incident.title.__class__.__mro__ }}"))
    assert response.status_code == 400
    assert not DocumentTemplate.objects.exists()


def test_only_the_organisations_administrators_manage_templates(komae, client, outsider):
    for person in (komae.csirt_head, komae.staff):
        sign_in(client, person)
        assert client.get(reverse("documents:templates")).status_code == 404
        assert upload(client, "closure", own_template("x")).status_code == 404
        assert client.post(reverse("documents:template_revert", args=["closure"])).status_code == 404
    assert not DocumentTemplate.objects.exists()
    # Another organisation's administrator changes their own organisation's template, never komae's.
    incident = closed_incident(komae)
    sign_in(client, make_staff(outsider))
    assert upload(client, "closure", own_template("他団体の様式")).status_code == 302
    assert DocumentTemplate.objects.get().organization == outsider.organization
    sign_in(client, komae.csirt_head)
    docx = client.get(reverse("documents:incident_document", args=[incident.pk, "closure"]))
    assert "他団体の様式" not in document_text(docx.content)


def test_outside_texts_page_gives_the_ppc_items_and_takes_the_nco_facts(komae, client):
    incident = scenario.report(
        komae, description="ファイルサーバのファイルが暗号化され拡張子が .lockbit になった"
    )
    scenario.triage(komae, incident, level=2)
    sign_in(client, komae.handler)
    url = reverse("documents:outside_texts", args=[incident.pk])
    page = client.get(url).content.decode()
    assert "個人情報保護委員会" in page and "国家サイバー統括室" in page
    assert "ファイルサーバのファイルが暗号化され" in page  # the summary item, from the report
    incident.refresh_from_db()
    response = client.post(
        url,
        {
            "version": incident.version,
            "nco_encrypted_extension": ".lockbit",
            "nco_ransomware_name": "LockBit 3.0",
            "nco_ddos_scale": "",
        },
    )
    assert response.status_code == 302
    incident.refresh_from_db()
    assert incident.report_facts["nco_ransomware_name"] == "LockBit 3.0"
    entry = JournalEntry.objects.filter(action="incident.report_facts").last()
    assert entry.data["facts"]["nco_encrypted_extension"] == ".lockbit"
    page = client.get(url).content.decode()
    assert "LockBit 3.0" in page
    docx = client.get(reverse("documents:incident_document", args=[incident.pk, "outside_texts"]))
    assert "LockBit 3.0" in document_text(docx.content)


def test_outside_texts_refuse_a_stale_version_and_lose_nothing(komae, client):
    incident = scenario.report(komae)
    scenario.triage(komae, incident, level=2)
    sign_in(client, komae.handler)
    url = reverse("documents:outside_texts", args=[incident.pk])
    response = client.post(url, {"version": 1, "nco_ransomware_name": "LockBit"})
    assert response.status_code == 409
    page = response.content.decode()
    assert "LockBit" in page  # what was typed is shown again, not lost
    incident.refresh_from_db()
    assert "nco_ransomware_name" not in incident.report_facts


def test_people_without_respond_read_the_texts_but_do_not_edit(komae, client):
    incident = closed_incident(komae)
    sign_in(client, komae.poc)
    url = reverse("documents:outside_texts", args=[incident.pk])
    response = client.get(url)
    assert response.status_code == 200
    assert 'name="nco_ransomware_name"' not in response.content.decode()
    assert client.post(url, {"version": incident.version, "nco_ransomware_name": "x"}).status_code == 404

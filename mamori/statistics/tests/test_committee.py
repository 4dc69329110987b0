"""The committee's yearly report: the statistics' figures in Word, opened back with python-docx."""

from django.urls import reverse

from mamori.conftest import sign_in
from mamori.documents.tests.test_incident_documents import document_text
from mamori.journal.models import JournalEntry

from .steps import jst, reported, triaged


def test_committee_report_carries_the_years_figures(komae, client):
    for day in (1, 2, 3):
        incident = reported(komae, jst(2026, 5, day, 9, 0))
        triaged(komae, incident, jst(2026, 5, day, 11, 0), level=2)
    reported(komae, jst(2027, 4, 1, 0, 0))  # FY2027: not in this report
    sign_in(client, komae.csirt_head)
    response = client.get(reverse("statistics:committee", args=[2026]))
    assert response.status_code == 200
    text = document_text(response.content)
    assert "令和8年度 情報セキュリティインシデント対応状況報告" in text
    assert "令和8年4月1日〜令和9年3月31日" in text
    assert "3件" in text  # three incidents in FY2026
    assert "2.0時間" in text  # report to triage: two hours each
    assert "研修・訓練の実施状況" in text and "監査及び自己点検の結果" in text
    assert "{{" not in text and "{%" not in text
    entry = JournalEntry.objects.filter(action="document.generated").get()
    assert entry.data == {"kind": "committee_yearly", "fiscal_year": 2026, "format": "docx"}


def test_committee_report_is_for_view_all_only(komae, client):
    sign_in(client, komae.staff)
    assert client.get(reverse("statistics:committee", args=[2026])).status_code == 404

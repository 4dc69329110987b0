"""Reviews (katsushika 6(2)(3), tatebayashi 9.3): each document the policy lists is reviewed at least
yearly, each revision approved by the role the policy names and recorded, reminders before it is due."""

from datetime import date

import pytest
from django.test import Client
from django.utils import translation

from mamori.conftest import make_org, sign_in
from mamori.incidents.errors import Invalid, NotAllowed
from mamori.journal.models import JournalEntry
from mamori.paging.tests.conftest import smtp_server  # noqa: F401 - the real SMTP server fixture

from ..services import record_revision, remind_due_reviews, status

pytestmark = pytest.mark.django_db


@pytest.fixture
def katsushika(db):
    return make_org("katsushika")


def test_a_revision_is_approved_by_the_role_the_policy_names(katsushika):
    org = katsushika
    with (
        pytest.raises(Invalid) as caught,
        translation.override("ja"),
    ):  # 6(3): the plan is approved by 情報システム統括責任者
        record_revision(org.organization, actor=org.system_admin, document_key="ict_bcp", label="令和8年度改訂",
                        summary="参集基準を改めた", approved_on=date(2026, 5, 1), approved_by=org.system_admin)  # fmt: skip
    assert "approved_by" in caught.value.fields
    with pytest.raises(NotAllowed):
        record_revision(org.organization, actor=org.staff, document_key="ict_bcp", label="x", summary="x",
                        approved_on=date(2026, 5, 1), approved_by=org.chief_system_officer)  # fmt: skip
    revision = record_revision(org.organization, actor=org.system_admin, document_key="ict_bcp", label="令和8年度改訂",
                               summary="参集基準を改めた", approved_on=date(2026, 5, 1), approved_by=org.chief_system_officer,
                               reference="計画の新規制定／改訂一覧 No.5")  # fmt: skip
    assert revision.next_due_on == date(2027, 5, 1)  # at least yearly
    # Manuals are approved by the 電算機管理者 (6(3)).
    record_revision(org.organization, actor=org.system_admin, document_key="manuals", label="改訂なし",
                    summary="点検の結果、変更なし", approved_on=date(2026, 6, 1), approved_by=org.system_admin)  # fmt: skip
    rows = {row.document.key: row.due_on for row in status(org.organization)}
    assert rows == {"ict_bcp": date(2027, 5, 1), "manuals": date(2027, 6, 1)}
    entry = JournalEntry.objects.filter(action="review.recorded").first()
    assert entry.data["approved_by"] == str(org.chief_system_officer)
    client = Client()
    sign_in(client, org.ciso)
    with translation.override("ja"):
        page = client.get("/reviews/")
    assert page.status_code == 200 and "令和8年度改訂" in page.content.decode()


def test_the_keepers_are_reminded_before_a_review_is_due(katsushika, smtp_server):  # noqa: F811
    org = katsushika
    record_revision(org.organization, actor=org.system_admin, document_key="ict_bcp", label="第2版", summary="改訂",
                    approved_on=date(2025, 12, 20), approved_by=org.chief_system_officer)  # fmt: skip
    assert remind_due_reviews(today=date(2026, 11, 1)) == 0  # 49 days before: not yet
    assert remind_due_reviews(today=date(2026, 11, 25)) == 1  # 25 days before: the 30-day reminder
    assert remind_due_reviews(today=date(2026, 11, 26)) == 0  # once
    assert remind_due_reviews(today=date(2026, 12, 15)) == 1  # 5 days before: the 7-day reminder
    (first, second) = smtp_server.mailbox.messages
    assert first["To"].addresses[0].addr_spec == "system_admin@katsushika.example"
    assert JournalEntry.objects.filter(action="review.reminded").count() == 2


def test_tatebayashi_the_committee_reviews_the_standard_every_year(db):
    """tatebayashi 9.3: the 情報セキュリティ委員会 reviews the standard every fiscal year; the CISO records
    the committee's approval, the 統括情報セキュリティ責任者 drafts it."""
    org = make_org("tatebayashi")
    with pytest.raises(Invalid):  # the chief drafts but does not approve
        record_revision(org.organization, actor=org.chief_security_officer, document_key="security_policy",
                        label="令和8年度改訂", summary="クラウド利用の規定を追加", approved_on=date(2026, 7, 1),
                        approved_by=org.chief_security_officer)  # fmt: skip
    revision = record_revision(org.organization, actor=org.chief_security_officer, document_key="security_policy",
                               label="令和8年度改訂", summary="クラウド利用の規定を追加", approved_on=date(2026, 7, 1),
                               approved_by=org.ciso, reference="第2回情報セキュリティ委員会")  # fmt: skip
    assert revision.next_due_on == date(2027, 7, 1)
    rows = {row.document.key: row for row in status(org.organization)}
    assert rows["security_policy"].last == revision
    assert rows["procedures"].due_on is None and rows["procedures"].overdue(
        date(2026, 12, 6)
    )  # never reviewed: due now

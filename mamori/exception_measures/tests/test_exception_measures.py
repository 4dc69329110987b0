"""Exception measures on the tatebayashi preset (7.4): applied for by a 情報セキュリティ管理者 or
情報システム管理者, decided by the CISO and never by the applicant, the emergency path with its
deadline, the register, and the reminders before a measure ends (over real SMTP)."""

from datetime import date, timedelta

import pytest
from django.test import Client
from django.utils import timezone, translation

from mamori.conftest import make_org, sign_in
from mamori.incidents.errors import Invalid, NotAllowed, WrongState
from mamori.journal.models import JournalEntry
from mamori.journal.verify import verify_chain
from mamori.paging.tests.conftest import smtp_server  # noqa: F401 - the real SMTP server fixture
from mamori.people.models import Role
from mamori.people.services import assign_role

from ..models import ExceptionMeasure, MeasureState
from ..services import MeasureInput, apply_measure, decide, end_measure, remind_expiring, withdraw

pytestmark = pytest.mark.django_db


@pytest.fixture
def org(db):
    return make_org("tatebayashi")


def usb_input(**changes) -> MeasureInput:
    today = timezone.localdate()
    data = MeasureInput(
        rule="対策基準 3(1)②(イ) USBメモリ等による情報の持ち出し不可設定",
        measure="救急搬送記録の提出のため、指定したUSBメモリ1本に限り書き出しを許可する",
        reason="病院との連携システムが更新中で、電子媒体での提出しかできないため",
        compensating="暗号化USBメモリを使用し、書き出しの都度台帳に記録、提出後に消去を確認する",
        starts_on=today,
        ends_on=today + timedelta(days=60),
    )
    for key, value in changes.items():
        setattr(data, key, value)
    return data


def test_applied_for_and_approved_by_the_ciso(org):
    measure = apply_measure(org.organization, actor=org.security_manager, data=usb_input())
    assert (measure.number, measure.state) == (1, MeasureState.APPLIED)
    decided = decide(measure, actor=org.ciso, approve=True, note="3か月ごとに状況を報告すること")
    assert decided.state == MeasureState.APPROVED and decided.decided_by == org.ciso
    assert list(JournalEntry.objects.filter(object_id=str(measure.pk), object_type="exception_measures.exceptionmeasure")
                .values_list("action", flat=True)) == ["exception_measure.applied", "exception_measure.approved"]  # fmt: skip
    with pytest.raises(WrongState):
        decide(measure, actor=org.ciso, approve=False, note="やはり不可")
    # The register (7.4(3)): the CISO and the roles the policy names read it; the applicant their own.
    for reader in (org.ciso, org.csirt_manager, org.security_manager):
        page = client_of(reader).get("/exceptions/")
        assert page.status_code == 200 and "USBメモリ" in page.content.decode()
    assert "USBメモリ" not in client_of(org.system_admin).get("/exceptions/").content.decode()
    assert client_of(org.system_admin).get(f"/exceptions/{measure.pk}/").status_code == 404
    assert verify_chain()[1] is None


def test_an_exception_approved_by_its_applicant_is_refused(org):
    """1(8)①: the applicant never decides their own application, even holding the approving role."""
    ciso_role = Role.objects.get(organization=org.organization, key="ciso")
    assign_role(
        ciso_role, org.security_manager, actor="test", order=1
    )  # the applicant is also 代行者 of the CISO
    measure = apply_measure(org.organization, actor=org.security_manager, data=usb_input())
    with pytest.raises(NotAllowed), translation.override("ja"):
        decide(measure, actor=org.security_manager, approve=True, note="")
    client = client_of(org.security_manager)
    page = client.get(f"/exceptions/{measure.pk}/")
    assert page.context["own_application"] and not page.context["may_decide"]
    refused = client.post(
        f"/exceptions/{measure.pk}/decide/", {"decision": "approve", "version": measure.version}
    )
    assert refused.status_code == 403
    measure.refresh_from_db()
    assert measure.state == MeasureState.APPLIED and measure.decided_by is None
    assert not JournalEntry.objects.filter(action="exception_measure.approved").exists()
    decide(measure, actor=org.ciso, approve=True, note="")  # the CISO himself may


def test_the_emergency_path_acts_first_and_reports_within_the_deadline(org):
    acted = timezone.now() - timedelta(hours=30)
    late = apply_measure(
        org.organization,
        actor=org.system_admin,
        data=usb_input(emergency=True, acted_at=acted, starts_on=timezone.localdate(acted)),
    )
    assert late.state == MeasureState.REPORTED
    assert late.report_due_at == acted + timedelta(hours=24) and late.late_report
    on_time = apply_measure(
        org.organization,
        actor=org.system_admin,
        data=usb_input(emergency=True, acted_at=timezone.now() - timedelta(hours=2)),
    )
    assert not on_time.late_report and on_time.number == 2
    rejected = decide(
        late, actor=org.ciso, approve=False, note="代替手段があるため認めない。直ちに元に戻すこと"
    )
    ended = end_measure(rejected, actor=org.system_admin, note="書き出し設定を元に戻した")
    assert ended.state == MeasureState.ENDED
    assert JournalEntry.objects.filter(action="exception_measure.reported").count() == 2


def test_what_is_wrong_with_an_application_is_said_in_japanese(org):
    today = timezone.localdate()
    with pytest.raises(Invalid) as caught, translation.override("ja"):
        apply_measure(
            org.organization,
            actor=org.security_manager,
            data=usb_input(
                compensating=" ", starts_on=today - timedelta(days=3), ends_on=today + timedelta(days=400)
            ),
        )
    fields = caught.value.fields
    assert set(fields) == {"compensating", "starts_on", "ends_on"}
    assert "代替" in fields["compensating"] or "補完" in fields["compensating"]
    assert "365日" in fields["ends_on"]
    with pytest.raises(NotAllowed):
        apply_measure(org.organization, actor=org.staff, data=usb_input())
    assert ExceptionMeasure.objects.count() == 0
    with translation.override("ja"):
        page = client_of(org.security_manager).post(
            "/exceptions/new/", {"rule": "x", "starts_on": "2026-13-01"}
        )
    assert page.status_code == 400 and ExceptionMeasure.objects.count() == 0


def test_the_applicant_and_the_ciso_are_reminded_before_the_end(org, smtp_server):  # noqa: F811
    today = date(2026, 12, 6)
    measure = apply_measure(org.organization, actor=org.security_manager, data=usb_input())
    decide(measure, actor=org.ciso, approve=True, note="")
    ExceptionMeasure.objects.filter(pk=measure.pk).update(ends_on=today + timedelta(days=13))
    assert remind_expiring(today=today) == 1
    assert remind_expiring(today=today) == 0  # once
    (mail,) = smtp_server.mailbox.messages
    assert set(mail["To"].addresses[i].addr_spec for i in range(2)) == {
        "security_manager@tatebayashi.example",
        "ciso@tatebayashi.example",
    }
    assert remind_expiring(today=today + timedelta(days=10)) == 1  # 3 days before: the second reminder
    measure.refresh_from_db()
    assert measure.reminded_days == [3, 14]
    assert JournalEntry.objects.filter(action="exception_measure.reminded").count() == 2
    # A withdrawn or ended measure is not recalled.
    other = apply_measure(org.organization, actor=org.security_manager, data=usb_input())
    withdraw(other, actor=org.security_manager)
    assert remind_expiring(today=today + timedelta(days=12)) == 0


def client_of(person) -> Client:
    client = Client()
    sign_in(client, person)
    return client

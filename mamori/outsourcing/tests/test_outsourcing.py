"""Outsourcing and cloud services on the tatebayashi preset (8): the contract checklist (8.1(2)①(エ)(オ)),
periodic compliance checks (8.1(3)), the end-of-contract checks (8.1(4)), and cloud-service applications
decided by the approver — never the applicant — who names the cloud service manager (8.3(5))."""

from datetime import date

import pytest
from django.test import Client
from django.utils import translation

from mamori.conftest import make_org, sign_in
from mamori.incidents.errors import Invalid, NotAllowed, WrongState
from mamori.journal.models import JournalEntry
from mamori.journal.verify import verify_chain
from mamori.paging.tests.conftest import smtp_server  # noqa: F401 - the real SMTP server fixture
from mamori.people.models import Role
from mamori.people.services import assign_role
from mamori.policy.loader import parse_policy, preset_path, read_policy_file
from mamori.wareki import add_months

from ..models import CloudState, ContractState
from ..services import (
    CloudInput,
    ContractInput,
    apply_cloud,
    decide_cloud,
    end_contract,
    record_check,
    register_contract,
    remind_due_checks,
)

pytestmark = pytest.mark.django_db
ALL_CLAUSES = [
    item.key for item in parse_policy(read_policy_file(preset_path("tatebayashi"))).outsourcing.contract_items
]


@pytest.fixture
def org(db):
    return make_org("tatebayashi")


def maintenance(org, **changes) -> ContractInput:
    data = ContractInput(
        title="消防指令システム保守業務", vendor="指令システム株式会社", manager=org.system_admin,
        starts_on=date(2026, 4, 1), ends_on=date(2027, 3, 31), important_information=True, nda=True, clauses=ALL_CLAUSES,
    )  # fmt: skip
    for key, value in changes.items():
        setattr(data, key, value)
    return data


def test_work_on_important_information_needs_every_clause_and_an_nda(org):
    with pytest.raises(Invalid) as caught, translation.override("ja"):
        register_contract(
            org.organization,
            actor=org.system_admin,
            data=maintenance(org, clauses=ALL_CLAUSES[:-2], nda=False),
        )
    assert "損害賠償" in caught.value.fields["clauses"] and "秘密保持" in caught.value.fields["nda"]
    with pytest.raises(NotAllowed):
        register_contract(org.organization, actor=org.staff, data=maintenance(org))
    contract = register_contract(org.organization, actor=org.system_admin, data=maintenance(org))
    assert contract.next_check_on == date(2026, 10, 1)  # every 6 months (policy check_months)
    # Work on no important information may leave clauses out.
    register_contract(
        org.organization,
        actor=org.system_admin,
        data=maintenance(org, title="庁舎清掃", important_information=False, nda=False, clauses=[]),
    )


def test_compliance_is_checked_periodically_and_the_end_confirmed(org):
    contract = register_contract(org.organization, actor=org.system_admin, data=maintenance(org))
    with pytest.raises(Invalid):  # shortcomings need the measures taken
        record_check(
            contract,
            actor=org.system_admin,
            checked_on=date(2026, 9, 30),
            compliant=False,
            note="作業記録の一部欠落",
            measures="",
        )
    record_check(contract, actor=org.system_admin, checked_on=date(2026, 9, 30), compliant=False,
                 note="作業記録の一部欠落", measures="記録様式を改め、再発防止を指示した")  # fmt: skip
    contract.refresh_from_db()
    assert contract.next_check_on == date(2027, 3, 30)
    with pytest.raises(Invalid) as caught, translation.override("ja"):
        end_contract(contract, actor=org.system_admin, ended_on=date(2027, 3, 31), confirmed=["acceptance"])
    assert "抹消" in caught.value.fields["confirmed"]
    end_contract(
        contract, actor=org.system_admin, ended_on=date(2027, 3, 31), confirmed=["acceptance", "disposal"]
    )
    contract.refresh_from_db()
    assert contract.state == ContractState.ENDED
    with pytest.raises(WrongState):
        record_check(
            contract,
            actor=org.system_admin,
            checked_on=date(2027, 4, 1),
            compliant=True,
            note="x",
            measures="",
        )
    assert [e for e in JournalEntry.objects.filter(object_type="outsourcing.contract").values_list("action", flat=True)] == [
        "contract.registered", "contract.checked", "contract.ended",
    ]  # fmt: skip


def test_a_cloud_service_is_approved_by_someone_else_who_names_its_manager(org):
    application = apply_cloud(
        org.organization,
        actor=org.security_officer,
        data=CloudInput(
            service="Web会議サービス",
            provider="A社",
            purpose="委員会のオンライン開催",
            information="会議資料（機密性2）",
            data_location="日本国内",
        ),  # fmt: skip
    )
    with pytest.raises(Invalid):  # 8.3(5)③: the manager is named on approval
        decide_cloud(application, actor=org.chief_security_officer, approve=True, note="")
    # The approver applying for themselves cannot decide their own application.
    own = apply_cloud(
        org.organization, actor=org.security_officer, data=CloudInput("x", "y", "z", "w", "日本")
    )
    assign_role(
        Role.objects.get(organization=org.organization, key="chief_security_officer"),
        org.security_officer,
        actor="test",
        order=1,
    )
    with pytest.raises(NotAllowed):
        decide_cloud(own, actor=org.security_officer, approve=True, note="", cloud_manager=org.system_admin)
    decided = decide_cloud(
        application,
        actor=org.chief_security_officer,
        approve=True,
        note="会議資料に限る",
        cloud_manager=org.system_admin,
    )
    assert decided.state == CloudState.APPROVED and decided.cloud_manager == org.system_admin
    client = Client()
    sign_in(client, org.chief_security_officer)
    with translation.override("ja"):
        page = client.get("/outsourcing/")
    assert page.status_code == 200 and "Web会議サービス" in page.content.decode()
    assert verify_chain()[1] is None


def test_add_months_keeps_the_day_or_the_month_end():
    assert add_months(date(2026, 8, 31), 6) == date(2027, 2, 28)
    assert add_months(date(2026, 11, 15), 3) == date(2027, 2, 15)


def test_the_manager_is_reminded_of_a_due_compliance_check(org, smtp_server):  # noqa: F811
    contract = register_contract(org.organization, actor=org.system_admin, data=maintenance(org))
    assert contract.next_check_on == date(2026, 10, 1)
    assert remind_due_checks(today=date(2026, 9, 20)) == 0  # 11 days before: not yet
    assert remind_due_checks(today=date(2026, 9, 25)) == 1  # within a week
    assert remind_due_checks(today=date(2026, 9, 26)) == 0  # once for this due date
    (mail,) = smtp_server.mailbox.messages
    to = {a.addr_spec for a in mail["To"].addresses}
    assert "system_admin@tatebayashi.example" in to and "chief_security_officer@tatebayashi.example" in to
    record_check(
        contract,
        actor=org.system_admin,
        checked_on=date(2026, 9, 30),
        compliant=True,
        note="報告書を確認",
        measures="",
    )
    assert remind_due_checks(today=date(2027, 3, 25)) == 1  # the next check, six months on
    assert JournalEntry.objects.filter(action="contract.check_reminded").count() == 2

"""Security advisories on the tatebayashi preset (6.6(1)): recorded or imported from CSAF (JVN), matched
against the register's software — the right systems only — and checked by each system's administrator."""

import io
import json
from datetime import date

import pytest
from django.test import Client
from django.utils import translation

from mamori.assets.services import SoftwareInput, SystemInput, create_system, set_software
from mamori.conftest import sign_in
from mamori.incidents.errors import NotAllowed, WrongState
from mamori.journal.models import JournalEntry
from mamori.journal.verify import verify_chain

from ..csaf import CSAFError, read_file
from ..inputs import AdvisoryInput, ProductInput
from ..models import Advisory, AdvisoryCheck, CheckState
from ..services import answer_check, close_advisory, find_matches, record_advisory, start_checks

pytestmark = pytest.mark.django_db


@pytest.fixture
def systems(register):
    """Besides the dispatch system (PostgreSQL 13.4) and the website (WordPress 6.4.2): a registry on
    PostgreSQL 15.2, a site on a WordPress plugin, and a retired site on an old WordPress."""
    keeper = register.org.chief_security_officer
    org = register.org.organization
    registry = create_system(org, actor=keeper, data=SystemInput(code="S-003", name="予防台帳システム",
                             classification={"confidentiality": "2", "integrity": "2", "availability": "1"}))  # fmt: skip
    set_software(registry, actor=keeper, items=[SoftwareInput("ＰｏｓｔｇｒｅＳＱＬ", "15.2")])
    forms = create_system(org, actor=keeper, data=SystemInput(code="S-004", name="申請フォーム",
                          classification={"confidentiality": "2", "integrity": "2", "availability": "1"}))  # fmt: skip
    set_software(forms, actor=keeper, items=[SoftwareInput("WordPress Plugin Contact Form", "5.8")])
    retired = create_system(org, actor=keeper, data=SystemInput(code="S-005", name="旧ホームページ", in_use=False,
                            classification={"confidentiality": "1", "integrity": "1", "availability": "1"}))  # fmt: skip
    set_software(retired, actor=keeper, items=[SoftwareInput("WordPress", "6.4.1")])
    register.registry = registry
    return register


def advisory_input(**changes) -> AdvisoryInput:
    data = AdvisoryInput(
        source="JVN",
        title="WordPress及びPostgreSQLにおける複数の脆弱性",
        identifiers=["CVE-2024-0001", "JVNDB-2024-000001"],
        cvss_score=None,
        products=[
            ProductInput("WordPress", "< 6.4.3", "WordPress.org"),
            ProductInput("PostgreSQL", "13.0 - 13.13", "PostgreSQL Global Development Group"),
        ],
    )
    for key, value in changes.items():
        setattr(data, key, value)
    return data


def test_an_advisory_is_matched_to_the_right_systems_only(systems):
    org = systems.org
    advisory = record_advisory(org.organization, actor=org.chief_security_officer, data=advisory_input())
    found = {(f.system.code, str(f.software)) for f in find_matches(advisory)}
    # The website (6.4.2 < 6.4.3) and the dispatch system (13.4 in 13.0–13.13); not PostgreSQL 15.2,
    # not the plugin of a similar name, not the system out of use.
    assert found == {("S-001", "PostgreSQL 13.4"), ("S-002", "WordPress 6.4.2")}

    checks = start_checks(advisory, actor=org.chief_security_officer, due_on=date(2026, 12, 20))
    assert {(c.system.code, c.assignee) for c in checks} == {
        ("S-001", org.system_admin),
        ("S-002", systems.webmaster),
    }
    assert start_checks(advisory, actor=org.chief_security_officer) == []  # nobody is asked twice
    entry = JournalEntry.objects.filter(action="advisory.checks_started").get()
    assert len(entry.data["systems"]) == 2


def test_the_administrators_answer_and_the_advisory_closes(systems):
    org = systems.org
    advisory = record_advisory(org.organization, actor=org.chief_security_officer, data=advisory_input())
    checks = {c.system.code: c for c in start_checks(advisory, actor=org.chief_security_officer)}
    with pytest.raises(NotAllowed):  # the webmaster does not answer for the dispatch system
        answer_check(checks["S-001"], actor=systems.webmaster, state="updated", note="x")
    answer_check(checks["S-001"], actor=org.system_admin, state=CheckState.UPDATED, note="13.14に更新した")
    with pytest.raises(WrongState), translation.override("ja"):
        close_advisory(advisory, actor=org.chief_security_officer, note="")
    # The webmaster answers on the page.
    client = Client()
    sign_in(client, systems.webmaster)
    page = client.get(f"/advisories/{advisory.pk}/")
    assert page.status_code == 200
    mine = [c for c in page.context["checks"] if c.mine]
    assert [c.system.code for c in mine] == ["S-002"]
    done = client.post(
        f"/advisories/{advisory.pk}/checks/{checks['S-002'].pk}/answer/",
        {"state": "mitigated", "note": "6.4.3の適用まで管理画面へのアクセスを庁内IPに限定した"},
    )
    assert done.status_code == 302
    closed = close_advisory(advisory, actor=org.chief_security_officer, note="全システム対応済み")
    assert closed.state == "closed"
    actions = list(
        JournalEntry.objects.filter(object_type="advisories.advisory").values_list("action", flat=True)
    )
    assert actions == [
        "advisory.recorded",
        "advisory.checks_started",
        "advisory.check_answered",
        "advisory.check_answered",
        "advisory.closed",
    ]
    assert verify_chain()[1] is None
    # An administrator sees only advisories that ask them something.
    other = record_advisory(org.organization, actor=org.chief_security_officer,
                            data=advisory_input(identifiers=["CVE-2024-9999"], title="無関係", products=[ProductInput("Exchange")]))  # fmt: skip
    assert client.get(f"/advisories/{other.pk}/").status_code == 404


CSAF = {
    "document": {
        "category": "csaf_security_advisory",
        "csaf_version": "2.0",
        "title": "WordPress における複数の脆弱性",
        "publisher": {"category": "coordinator", "name": "JPCERT/CC", "namespace": "https://jvn.jp"},
        "tracking": {"id": "JVNDB-2024-001234", "initial_release_date": "2024-02-01T12:00:00+09:00"},
        "notes": [{"category": "summary", "text": "WordPress には複数の脆弱性が存在します。"}],
        "references": [
            {"url": "https://jvndb.jvn.jp/ja/contents/2024/JVNDB-2024-001234.html", "summary": "JVNDB"}
        ],
    },
    "product_tree": {
        "branches": [
            {
                "category": "vendor",
                "name": "WordPress.org",
                "branches": [
                    {
                        "category": "product_name",
                        "name": "WordPress",
                        "branches": [
                            {
                                "category": "product_version_range",
                                "name": "vers:generic/<6.4.3",
                                "product": {
                                    "product_id": "CSAFPID-0001",
                                    "name": "WordPress.org WordPress <6.4.3",
                                },
                            }
                        ],
                    }
                ],
            }
        ]
    },
    "vulnerabilities": [
        {
            "cve": "CVE-2024-31210",
            "ids": [{"system_name": "JVN", "text": "JVN#12345678"}],
            "scores": [
                {
                    "cvss_v3": {"version": "3.1", "baseScore": 7.2, "baseSeverity": "HIGH"},
                    "products": ["CSAFPID-0001"],
                }
            ],
            "product_status": {"known_affected": ["CSAFPID-0001"]},
        }
    ],
}


def test_a_csaf_file_is_imported_once_and_matched(systems):
    (parsed,) = read_file(json.dumps(CSAF, ensure_ascii=False).encode())
    assert parsed.source == "JPCERT/CC" and parsed.identifiers == [
        "JVNDB-2024-001234",
        "CVE-2024-31210",
        "JVN#12345678",
    ]
    assert parsed.products == [ProductInput("WordPress", "vers:generic/<6.4.3", "WordPress.org")]
    assert parsed.published_on == date(2024, 2, 1) and str(parsed.cvss_score) == "7.2"

    client = Client()
    sign_in(client, systems.org.chief_security_officer)

    def upload(content: bytes, name: str = "jvndb.json"):
        handle = io.BytesIO(content)
        handle.name = name
        with translation.override("ja"):
            return client.post("/advisories/import/", {"file": handle})

    assert upload(json.dumps(CSAF).encode()).status_code == 302
    advisory = Advisory.objects.get()
    assert advisory.severity == "high" and advisory.url.startswith("https://jvndb.jvn.jp/")
    assert [(f.system.code, str(f.software)) for f in find_matches(advisory)] == [
        ("S-002", "WordPress 6.4.2")
    ]
    again = upload(json.dumps([CSAF]).encode())  # the same advisory: skipped, not doubled
    assert again.status_code == 302 and Advisory.objects.count() == 1
    bad = upload(b"{not json")
    assert bad.status_code == 400 and "JSONではありません" in bad.content.decode()
    not_csaf = upload(json.dumps({"title": "x"}).encode())
    assert not_csaf.status_code == 400 and "CSAF" in not_csaf.content.decode()
    assert Advisory.objects.count() == 1 and not AdvisoryCheck.objects.exists()
    # A system administrator does not record or import advisories.
    other = Client()
    sign_in(other, systems.org.system_admin)
    assert other.get("/advisories/import/").status_code == 403


def test_a_file_without_affected_products_is_refused():
    broken = {
        **CSAF,
        "vulnerabilities": [{"cve": "CVE-2024-1", "product_status": {"known_affected": ["nope"]}}],
    }
    with pytest.raises(CSAFError):
        read_file(json.dumps(broken).encode())

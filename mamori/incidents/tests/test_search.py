"""The list's text search: Japanese words of two characters are found through a real full-text index
(character bigrams, docs/adr/0008-japanese-search.md), on SQLite and on PostgreSQL alike, and only among
the incidents the person may see."""

import io
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from django.core.management import call_command
from django.db import connection
from django.test import Client

from mamori.api.auth import create_token
from mamori.conftest import sign_in
from mamori.incidents import access, search, services
from mamori.incidents.filters import filter_incidents
from mamori.incidents.models import Incident, IncidentSearch
from mamori.incidents.register_import import RegisterRow, import_incidents

from .scenario import report, triage

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True, params=["few", "many"])
def plan(request, monkeypatch) -> str:
    """Every search is tried with both plans of ``search.matching``: ids from the index (few matches)
    and the walk through the list checking each document (many: forced here by FEW = 0)."""
    monkeypatch.setattr(search, "FEW", 5000 if request.param == "few" else 0)
    monkeypatch.setattr(search, "_stats_cache", {})
    return request.param


def found(person, text: str) -> set[str]:
    """References of the incidents ``person`` finds by ``text``, as the list page and the API do."""
    qs = filter_incidents(access.incidents_for(person), {"q": text})
    return set(qs.values_list("reference", flat=True))


def assert_index_in_sync() -> None:
    """The FTS5 index holds exactly the documents of the search table (SQLite; PostgreSQL's GIN index
    is maintained by the database itself)."""
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute(
                "INSERT INTO incidents_search_fts(incidents_search_fts, rank) VALUES ('integrity-check', 1)"
            )


# --- tokens ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text, expected",
    [
        ("漏洩", "漏洩 洩"),
        ("ランサムウェア", "ラン ンサ サム ムウ ウェ ェア ア"),
        ("ＵＳＢメモリ", "us sb bメ メモ モリ リ"),  # NFKC and lower case
        ("ｶﾞｲﾄﾞ", "ガイ イド ド"),  # half-width katakana
        ("R8-0012", "r8 8 00 01 12 2"),
        ("個人情報、漏洩 鍵", "個人 人情 情報 報 漏洩 洩 鍵"),  # punctuation and spaces end a run
        ("", ""),
    ],
)
def test_texts_become_bigrams_per_run(text, expected):
    assert search.grams(text) == expected


def test_query_words_become_phrases():
    assert search.terms("ランサム") == [search.Term(("ラン", "ンサ", "サム"), prefix=False)]
    assert search.terms("ＵＳＢ　紛失 usb") == [
        search.Term(("us", "sb"), prefix=False),
        search.Term(("紛失",), prefix=False),
    ]
    assert search.terms("鍵") == [search.Term(("鍵",), prefix=True)]
    assert search.terms("R8-0012") == [search.Term(("r8", "8", "00", "01", "12"), prefix=False)]
    assert search.terms("「」 !!") == []


# --- what is found -----------------------------------------------------------------------------------


def test_short_words_are_found_in_report_descriptions(komae):
    usb = report(komae, description="ＵＳＢメモリを紛失した")
    leak = report(komae, description="個人情報が漏えいした可能性がある")
    ransom = report(komae, description="ランサムウェアに感染し、ファイルが暗号化された")
    other = report(komae, description="プリンタの設定を誤った")
    manager = komae.csirt_manager

    for word in ("USB", "ＵＳＢ", "usb", "紛失", "メモリ"):
        assert found(manager, word) == {usb.reference}, word
    assert found(manager, "漏えい") == {leak.reference}
    assert found(manager, "ランサム") == {ransom.reference}
    assert found(manager, "感染") == {ransom.reference}
    assert found(manager, "暗号化") == {ransom.reference}
    assert found(manager, "プリンタ") == {other.reference}
    assert found(manager, "漏洩") == set()  # another spelling is another word
    assert found(manager, "らんさむ") == set()  # hiragana and katakana stay apart


def test_short_words_are_found_in_titles_and_the_other_fields(komae):
    incident = report(komae, description="庁舎で不審な事象")
    triage(komae, incident, title="公用PCの紛失", level=1)
    incident.refresh_from_db()
    services.set_flags(
        incident,
        actor=komae.csirt_manager,
        expected_version=incident.version,
        personal_data=True,
        restricted=False,
        is_drill=False,
        affected_systems="住民記録システム",
        title="公用PCの紛失",
    )
    manager = komae.csirt_manager
    assert found(manager, "紛失") == {incident.reference}
    assert found(manager, "pc") == {incident.reference}
    assert found(manager, "住民記録") == {incident.reference}
    assert found(manager, "不正な通信") == set()
    # The triage reasoning (scenario.triage: 端末のログで不審な通信を確認した) is searched too.
    assert found(manager, "通信") == {incident.reference}


def test_a_one_character_word_is_found_wherever_it_stands(komae):
    key = report(komae, description="鍵を紛失した")
    spare = report(komae, description="合鍵")
    report(komae, description="書類を紛失した")
    assert found(komae.csirt_manager, "鍵") == {key.reference, spare.reference}


def test_the_reference_is_found(komae):
    first = report(komae)
    second = report(komae)
    manager = komae.csirt_manager
    assert found(manager, first.reference) == {first.reference}
    assert found(manager, second.reference) == {second.reference}
    assert found(manager, second.reference.lower()) == {second.reference}
    assert found(manager, second.reference.split("-")[1]) == {second.reference}  # R8-0002 by 0002


def test_the_intake_writes_the_document_reindex_would_write(komae):
    """Intake writes a new incident's document from the report in hand (search.index_new) instead of
    reading it back; it must be the very document ``reindex`` makes from the database."""
    incident = report(
        komae, description="ＵＳＢメモリを紛失した（R8 端末12345）", affected_systems="税務システム"
    )
    written = IncidentSearch.objects.get(incident=incident).grams
    search.reindex(Incident.objects.get(pk=incident.pk))
    assert IncidentSearch.objects.get(incident=incident).grams == written
    assert " us sb bメ メモ " in written and " 税務 務シ " in written


def test_a_report_joined_later_is_searched_with_its_incident(komae):
    first = report(komae, description="不審なメールを受信した")
    duplicate = report(komae, description="同じメールの添付を開いてマルウェアに感染した")
    assert found(komae.csirt_manager, "感染") == {duplicate.reference}
    duplicate.refresh_from_db()

    services.merge(duplicate, actor=komae.csirt_manager, expected_version=duplicate.version, into=first)

    # The merged one keeps its own title (from its description); its report now belongs to the first.
    assert found(komae.csirt_manager, "感染") == {first.reference, duplicate.reference}
    assert found(komae.csirt_manager, "添付 受信") == {first.reference}
    assert_index_in_sync()


def test_a_changed_title_is_found_by_its_new_words_only(komae):
    incident = triage(komae, report(komae, description="庁舎で不審な事象"), title="誤送信の疑い", level=1)
    assert found(komae.csirt_manager, "誤送") == {incident.reference}
    incident.refresh_from_db()

    services.set_flags(
        incident,
        actor=komae.csirt_manager,
        expected_version=incident.version,
        personal_data=False,
        restricted=False,
        is_drill=False,
        affected_systems="",
        title="標的型攻撃メール",
    )

    assert found(komae.csirt_manager, "標的") == {incident.reference}
    assert found(komae.csirt_manager, "攻撃メール") == {incident.reference}
    assert found(komae.csirt_manager, "誤送") == set()
    assert_index_in_sync()


def test_closing_texts_are_searched(komae):
    from .scenario import close

    incident = close(komae, triage(komae, report(komae, description="不審な事象"), level=1))
    assert found(komae.csirt_manager, "無害化") == {incident.reference}  # the prevention measures
    assert found(komae.csirt_manager, "初期化") == {incident.reference}  # the summary


def test_a_word_across_two_fields_or_runs_is_not_found(komae):
    incident = triage(komae, report(komae, description="端末の動作が遅い"), title="個人情報", level=1)
    incident.refresh_from_db()
    services.set_flags(
        incident,
        actor=komae.csirt_manager,
        expected_version=incident.version,
        personal_data=True,
        restricted=False,
        is_drill=False,
        affected_systems="漏洩検知システム",
        title="個人情報",
    )
    separated = report(komae, description="個人情報、漏洩の確認中")
    manager = komae.csirt_manager

    assert found(manager, "情報漏洩") == set()  # 情報 ends the title, 漏洩 starts the affected systems
    assert found(manager, "個人情報") == {incident.reference, separated.reference}
    assert found(manager, "情報 漏洩") == {incident.reference, separated.reference}


def test_several_words_must_all_be_there(komae):
    usb_lost = report(komae, description="USBメモリを紛失した")
    usb_found = report(komae, description="USBメモリを拾得した")
    papers_lost = report(komae, description="書類を紛失した")
    manager = komae.csirt_manager
    assert found(manager, "USB 紛失") == {usb_lost.reference}
    assert found(manager, "紛失　ＵＳＢ") == {usb_lost.reference}  # a full-width space separates too
    assert found(manager, "USB") == {usb_lost.reference, usb_found.reference}
    assert found(manager, "紛失") == {usb_lost.reference, papers_lost.reference}
    assert found(manager, "USB 紛失 書類") == set()


def test_a_query_without_letters_finds_nothing(komae):
    report(komae)
    assert found(komae.csirt_manager, "「」・!") == set()


# --- need-to-know ------------------------------------------------------------------------------------

SECRET = "住民票データ"


@pytest.mark.parametrize("preset_org", ["tatebayashi"], indirect=True)
def test_a_restricted_incident_is_not_found_by_who_may_not_see_it(preset_org):
    org = preset_org
    ordinary = triage(org, report(org, description=f"{SECRET}の印刷ミス"), level=1)
    secret = triage(
        org, report(org, description=f"{SECRET}の誤送信"), level=1, restricted=True, title=f"{SECRET}の誤送信"
    )
    # 統括情報セキュリティ責任者: sees every incident but the restricted ones (view_all, not CSIRT).
    officer = org.chief_security_officer

    assert found(officer, "住民票") == {ordinary.reference}
    assert found(officer, "誤送信") == set()
    assert found(org.csirt_manager, "住民票") == {ordinary.reference, secret.reference}

    client = Client()
    sign_in(client, officer)
    page = client.get("/incidents/", {"q": "住民票"}).content.decode()
    assert ordinary.reference in page and secret.reference not in page
    assert secret.reference not in client.get("/incidents/", {"q": "誤送信"}).content.decode()
    _token, clear = create_token(officer, actor="test", name="search")
    api = Client(HTTP_AUTHORIZATION=f"Bearer {clear}")
    listed = api.get("/api/v1/incidents", {"q": "住民票"}).json()
    assert [r["reference"] for r in listed["results"]] == [ordinary.reference]
    assert api.get("/api/v1/incidents", {"q": "誤送信"}).json()["results"] == []
    # The CSIRT finds both, through the same page and API.
    sign_in(client, org.csirt_manager)
    page = client.get("/incidents/", {"q": "住民票"}).content.decode()
    assert ordinary.reference in page and secret.reference in page


# --- the index ---------------------------------------------------------------------------------------


def test_the_search_asks_the_full_text_index(komae):
    usb = report(komae, description="USBメモリを紛失した")
    sql, params = search.index_query(search.terms("USB 紛失"), 10)
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("EXPLAIN QUERY PLAN " + sql, params)
            plan = " ".join(str(row) for row in cursor.fetchall())
            assert "incidents_search_fts VIRTUAL TABLE INDEX" in plan, plan
        else:
            cursor.execute("SET LOCAL enable_seqscan = off")  # a handful of rows: choose as with a million
            cursor.execute("EXPLAIN " + sql, params)
            plan = " ".join(row[0] for row in cursor.fetchall())
            assert "Bitmap Index Scan on incidents_search_grams_gin" in plan, plan
        cursor.execute(sql, params)
        assert [row[0] for row in cursor.fetchall()] == [usb.pk]


def test_many_matches_walk_the_list_few_are_picked_by_id(komae, plan):
    incidents = [report(komae, description=f"USBメモリを紛失した（{i}）") for i in range(3)]
    sql = str(filter_incidents(access.incidents_for(komae.csirt_manager), {"q": "紛失"}).query)
    if plan == "few":
        assert "IN (" in sql and "incidents_incidentsearch" not in sql
    else:
        assert "EXISTS" in sql and "incidents_incidentsearch" in sql
    assert found(komae.csirt_manager, "紛失") == {i.reference for i in incidents}


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's sample")
def test_postgresql_counts_a_sample_when_there_are_many_documents(komae, plan, monkeypatch):
    for i in range(30):
        report(komae, description=f"USBメモリを紛失した（{i}）" if i % 3 else f"庁舎の鍵を紛失した（{i}）")
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE incidents_incidentsearch")
    assert search._sampled_share(search.terms("紛失")) is None  # few documents: ask the index
    monkeypatch.setattr(search, "SMALL", 10)
    monkeypatch.setattr(search, "SAMPLE", 1000)  # more than there are: all of them
    assert search._sampled_share(search.terms("紛失")) == (1, 30)
    assert search._sampled_share(search.terms("USB 紛失")) == (pytest.approx(2 / 3), 30)
    assert search._sampled_share(search.terms("鍵")) == (pytest.approx(1 / 3), 30)
    assert search._sampled_share(search.terms("ランサム")) == (0, 30)
    assert len(found(komae.csirt_manager, "USB 紛失")) == 20


def test_imported_incidents_are_searchable(komae):
    tokyo = ZoneInfo("Asia/Tokyo")
    rows = [
        RegisterRow(
            row=2, columns={}, title="USBメモリの紛失", opened_at=datetime(2024, 4, 10, 9, tzinfo=tokyo)
        ),
        RegisterRow(
            row=3,
            columns={},
            title="メール誤送信",
            summary="住民あてのメールを誤送信",
            opened_at=datetime(2024, 5, 1, tzinfo=tokyo),
        ),
    ]
    created = import_incidents(komae.organization, actor=komae.csirt_manager, rows=rows)
    manager = komae.csirt_manager
    usb, mail = (i.reference for i in created)
    assert found(manager, "紛失") == {usb}
    assert found(manager, "住民") == {mail}
    assert_index_in_sync()


def test_the_rebuild_command_indexes_incidents_made_before_the_index(komae):
    incident = report(komae, description="USBメモリを紛失した")
    IncidentSearch.objects.all().delete()  # as an installation upgraded from before migration 0009
    assert found(komae.csirt_manager, "紛失") == set()
    out = io.StringIO()

    call_command("rebuild_search_index", "--batch-size", "1", stdout=out)

    assert found(komae.csirt_manager, "紛失") == {incident.reference}
    assert "1/1 incidents" in out.getvalue() and "search index rebuilt: 1 incidents" in out.getvalue()
    assert_index_in_sync()


def test_the_search_documents_follow_their_incidents(komae):
    incidents = [report(komae, description=f"事象 {i}") for i in range(3)]
    assert IncidentSearch.objects.count() == 3
    assert set(IncidentSearch.objects.values_list("organization_id", flat=True)) == {komae.organization.pk}
    doc = IncidentSearch.objects.get(incident=incidents[0])
    assert doc.grams.startswith(" " + search.grams(incidents[0].affected_systems))
    assert doc.grams.endswith(" 事象 象 0 ")
    assert Incident.objects.filter(pk__in=IncidentSearch.objects.values("incident")).count() == 3
    assert_index_in_sync()

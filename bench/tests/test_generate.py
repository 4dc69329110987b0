"""bench/generate.py with small figures against the test database: the dataset reads as if the services
had made it — the journal verifies, search finds what was planted, references go on where they stopped,
the detail page shows its 200 timeline entries — and the load left the schema as migrations made it."""

import time
from collections import Counter
from datetime import timedelta
from typing import Any

import pytest
from django.db import connection
from django.db.models import Count
from django.test import Client
from django.utils import timezone
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_totp.models import TOTPDevice
from generate import Options, run
from generate_db import BIG_TABLES, MARKER_TABLE, drop_marker, migration_0009

from mamori import wareki
from mamori.accounts.middleware import REAUTH_KEY
from mamori.accounts.rules import needs_second_factor
from mamori.incidents import access, search
from mamori.incidents.models import (
    Action,
    CustodyEntry,
    Evidence,
    Incident,
    IncidentMember,
    Obligation,
    ReferenceCounter,
)
from mamori.intake.models import Report
from mamori.intake.services import ReportInput, submit_report
from mamori.journal.models import JournalEntry
from mamori.journal.verify import verify_chain
from mamori.paging.models import Delivery, DeliveryAttempt, Escalation, Page
from mamori.paging.services import acknowledge, chain_for, page_for_token
from mamori.paging.tokens import page_token
from mamori.paging.transports import channels_in_use
from mamori.people.models import Organization, User
from mamori.policy.services import document_of

SMALL = Options(incidents=300, actions=900, people=60, detail_targets=2)


def schema() -> list[tuple[str, ...]]:
    """The indexes, triggers and constraints of the big tables, as the database describes them."""
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute(
                "SELECT type, name, tbl_name, sql FROM sqlite_master WHERE type IN ('index', 'trigger', 'table')"
                " ORDER BY type, name"
            )
        else:
            cursor.execute(
                "SELECT 'index', indexname, tablename, indexdef FROM pg_indexes WHERE schemaname = current_schema()"
                " UNION ALL SELECT 'constraint', c.conname, t.relname, pg_get_constraintdef(c.oid)"
                " FROM pg_constraint c JOIN pg_class t ON t.oid = c.conrelid ORDER BY 1, 2"
            )
        rows = cursor.fetchall()
    # ANALYZE's statistics table and our marker are not the migrations' schema.
    return [tuple(r) for r in rows if MARKER_TABLE not in (r[1], r[2]) and not r[1].startswith("sqlite_stat")]


def sign_in(client: Client, person: Any) -> None:
    """As a finished login leaves the session: second factor verified (mamori/conftest.py's sign_in)."""
    client.force_login(person)
    session = client.session
    if needs_second_factor(person):
        device, _ = TOTPDevice.objects.get_or_create(
            user=person, defaults={"name": "test", "confirmed": True}
        )
        session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session[REAUTH_KEY] = time.time()
    session.save()


@pytest.fixture
def dataset(transactional_db):
    before = schema()
    manifest = run(SMALL, progress=lambda _text: None)
    yield manifest, before
    drop_marker()


@pytest.mark.django_db(transaction=True)
def test_dataset_reads_as_if_the_services_made_it(dataset):
    manifest, before = dataset
    assert schema() == before, "indexes, triggers and constraints are back as the migrations made them"
    largest = manifest["organizations"][0]
    assert largest["key"] == manifest["largest_organization"]
    assert sum(o["incidents"] for o in manifest["organizations"]) == Incident.objects.count() == 300
    assert Action.objects.count() == 900
    assert User.objects.count() == 60
    assert manifest["rows"]["journal_journalentry"] == JournalEntry.objects.count()

    # The journal: every entry hashed and linked, the head on the last one.
    checked, problem = verify_chain()
    assert problem is None, problem
    assert checked == JournalEntry.objects.count()
    assert JournalEntry.objects.filter(action="action.recorded").count() == 900
    assert JournalEntry.objects.filter(action="report.received").count() == Report.objects.count() == 300
    created = list(
        JournalEntry.objects.filter(action="action.recorded").values_list("created_at", flat=True)[:50]
    )
    assert created == sorted(created), "written in the order things happened"

    # Search: a planted word is found through the index with the count the manifest gives.
    manager = User.objects.get(username=largest["manager"])
    visible = access.incidents_for(manager)
    assert visible.count() == largest["incidents"], "the CSIRT manager sees restricted incidents too"
    planted = [w for w in manifest["search_words"]["common"] if w["matches"][largest["key"]]]
    assert planted
    for word in planted[:3]:
        assert search.matching(visible, word["word"]).count() == word["matches"][largest["key"]], word
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute(
                "INSERT INTO incidents_search_fts(incidents_search_fts, rank) VALUES ('integrity-check', 1)"
            )
            cursor.execute("SELECT count(*) FROM incidents_search_fts")
            assert cursor.fetchone()[0] == 300
    else:
        with connection.cursor() as cursor:
            cursor.execute("SELECT indexdef FROM pg_indexes WHERE indexname = 'incidents_search_grams_gin'")
            assert "to_tsvector('simple'" in cursor.fetchone()[0]
            assert migration_0009.POSTGRES[0].startswith("CREATE INDEX incidents_search_grams_gin")

    # References: consecutive per organisation and fiscal year; the counters say where to go on.
    for counter in ReferenceCounter.objects.all():
        numbers = sorted(
            int(ref.rsplit("-", 1)[1])
            for ref in Incident.objects.filter(
                organization=counter.organization, fiscal_year=counter.fiscal_year
            ).values_list("reference", flat=True)
        )
        assert numbers == list(range(1, counter.last_number + 1)), counter
    organization = Organization.objects.get(key=largest["key"])
    fy = wareki.fiscal_year(timezone.now())
    last = ReferenceCounter.objects.get(organization=organization, fiscal_year=fy).last_number
    staff = User.objects.get(username=largest["staff"])
    received = submit_report(
        organization,
        ReportInput(
            description="USBメモリを紛失した",
            discovered_at=timezone.now(),
            location="本庁舎3階",
            reporter_name="職員",
            reporter_contact="内線1234",
            suspected_cause="紛失",
            impact_scope="端末1台",
            affected_systems="庁内LAN",
        ),
        channel="staff_form",
        actor=staff,
    )
    assert received.incident.reference == f"{wareki.reference_prefix(fy)}-{last + 1:04d}"
    assert verify_chain()[1] is None, "the services append after the generated entries"

    # The detail page of a target: 200 timeline entries, for the CSIRT manager.
    assert len(manifest["detail_targets"]) == 2
    target = Incident.objects.get(pk=manifest["detail_targets"][0])
    assert target.organization == organization and target.is_open and not target.restricted
    client = Client()
    sign_in(client, manager)
    response = client.get(f"/incidents/{target.pk}/")
    assert response.status_code == 200
    assert sum(1 for entry in response.context["timeline"] if entry.kind == "action") == 200
    assert {o.key for o in response.context["obligations"]} >= {"publication"}, "as triage lists them"

    # States plausible for a small dataset over ten years: nearly all finished.
    states = Counter(Incident.objects.values_list("state", flat=True))
    assert states["closed"] > 200
    assert 10 < states["not_incident"] < 80
    assert states["received"] + states["triage"] < 15
    assert states["merged"] == Incident.objects.filter(merged_into__isnull=False).count()
    assert Report.objects.filter(incident__state="merged").count() == 0, "merged reports moved on"
    assert Incident.objects.filter(state="closed").exclude(root_cause="").count() == states["closed"]


@pytest.mark.django_db(transaction=True)
def test_reuse_keeps_a_dataset_of_the_same_parameters(dataset):
    manifest, _before = dataset
    again = run(SMALL, progress=lambda _text: None, reuse=True)
    assert again["reused"] and again["detail_targets"] == manifest["detail_targets"]
    with pytest.raises(SystemExit, match="not empty"):
        run(
            Options(incidents=301, actions=900, people=60, detail_targets=2),
            progress=lambda _text: None,
            reuse=True,
        )
    assert Incident.objects.count() == 300
    assert set(BIG_TABLES) <= set(connection.introspection.table_names())


@pytest.mark.django_db(transaction=True)
def test_paging_and_evidence_read_as_the_services_left_them(dataset):
    """Every report paged who the policy names, triage and the transitions more; nearly all answered,
    a few chains exhausted and never answered (the banner); evidence with its custody. The journal
    holds each step, the pages show it, and the services go on from there."""
    manifest, _before = dataset
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA integrity_check")  # the unique indexes set aside during the load
            assert cursor.fetchall() == [("ok",)]
    for table in ("paging_escalation", "paging_page", "paging_delivery", "paging_deliveryattempt",
                  "incidents_evidence", "incidents_custodyentry"):  # fmt: skip
        assert manifest["rows"][table] > 0, table
    counted = Counter(JournalEntry.objects.values_list("action", flat=True))

    # Who is paged: each report's on_report escalations, triage's by level, the transitions'.
    escalations = list(Escalation.objects.select_related("incident__policy"))
    assert len(escalations) == manifest["paging"]["escalations"] == counted["escalation.started"]
    by_incident: dict[int, set[str]] = {}
    for escalation in escalations:
        by_incident.setdefault(escalation.incident_id, set()).add(escalation.key)
    policies: dict[int, Any] = {}
    for incident in Incident.objects.select_related("policy"):
        policy = policies.setdefault(incident.policy_id, document_of(incident.policy))
        keys = by_incident.get(incident.pk, set())
        assert {f"report:{r.role}" for r in policy.escalation.on_report} <= keys, incident
        if (
            incident.level is not None
            and not incident.level_changes.filter(from_level__isnull=False).exists()
        ):
            notified = {k for k in keys if k.startswith("notify:")}
            assert notified == {f"notify:{n.role}" for n in policy.level(incident.level).notify}, incident
        if incident.state == "closed":
            closing = {f"transition:close:{r.role}" for r in policy.escalation.on_transition.get("close", [])}
            assert closing == {k.rsplit(":", 1)[0] for k in keys if k.startswith("transition:close:")}
    states = Counter(e.state for e in escalations)
    assert states["acknowledged"] / len(escalations) > 0.95
    for escalation in escalations:
        policy = policies[escalation.incident.policy_id]
        assert escalation.chain == chain_for(policy, escalation.incident.organization_id, escalation.role_key)
        pages = list(escalation.pages.all())
        assert pages and all(
            p.deadline - p.paged_at == timedelta(minutes=escalation.ack_minutes) for p in pages
        )
        open_pages = [p for p in pages if p.state == "open"]
        if escalation.state == "acknowledged":
            (answered,) = [p for p in pages if p.state == "acknowledged"]
            assert answered.recipient_id == escalation.acknowledged_by_id and not open_pages
            assert answered.acknowledged_at == escalation.acknowledged_at and escalation.next_check_at is None
        elif escalation.state == "open":
            assert len(open_pages) == 1 and escalation.next_check_at == open_pages[0].deadline
        elif escalation.state == "exhausted":
            assert escalation.step == len(escalation.chain) and escalation.next_check_at is None
            assert open_pages and all(p.is_fallback for p in open_pages)
    assert counted["page.sent"] == Page.objects.filter(is_fallback=False).count()
    assert counted["page.acknowledged"] == states["acknowledged"]
    exhausted_ever = Escalation.objects.filter(pages__is_fallback=True).distinct().count()
    assert counted["escalation.exhausted"] == exhausted_ever >= states["exhausted"] > 0

    # Each page sent on every channel in use, each try kept; tokens as _create_page makes them.
    channels = channels_in_use()
    assert Delivery.objects.count() == Page.objects.count() * len(channels)
    for delivery in Delivery.objects.filter(state="sent").annotate(kept=Count("tries"))[:500]:
        assert delivery.kept == delivery.attempts >= 1 and delivery.sent_at >= delivery.next_attempt_at
    assert DeliveryAttempt.objects.filter(ok=True).count() == Delivery.objects.filter(state="sent").count()
    page = Page.objects.filter(state="open").select_related("escalation__incident").first()
    assert page is not None and len(page.token_salt) == 32
    assert page_for_token(page_token(page.token_salt)) == page, "the link in the message works"

    # The checklist of open incidents: a role to be told is done when someone acknowledged.
    for obligation in Obligation.objects.filter(kind="notify"):
        escalation = Escalation.objects.get(obligation=obligation)
        assert (obligation.done_at is not None) == (escalation.state == "acknowledged"), obligation
        assert obligation.done_by_id == escalation.acknowledged_by_id
    # People told of a restricted incident who would not see it are added by name.
    for member in IncidentMember.objects.select_related("incident"):
        assert member.incident.restricted
    assert counted["incident.member_added"] == IncidentMember.objects.count()

    # Evidence of a share of the incidents, each item with its custody.
    handled = Incident.objects.exclude(level__isnull=True).count()
    kept = manifest["evidence"]["incidents"]
    assert 0.05 * handled < kept < 0.4 * handled
    assert counted["evidence.added"] == Evidence.objects.count() == manifest["evidence"]["items"]
    assert counted["evidence.custody"] == CustodyEntry.objects.exclude(event="collected").count()
    for item in Evidence.objects.prefetch_related("custody"):
        first = item.custody.all()[0]
        assert (first.event, first.at, first.recorded_by_id) == (
            "collected",
            item.collected_at,
            item.collected_by_id,
        )
        assert not item.file and bool(item.original_name) == bool(item.sha256) == (item.size is not None)
        assert not item.sha256 or len(item.sha256) == 64
    assert all(1 <= n <= 5 for n in Counter(Evidence.objects.values_list("incident", flat=True)).values())

    # The CSIRT manager's dashboard lists the chains nobody acknowledged; the banner is on every page.
    largest = manifest["organizations"][0]
    manager = User.objects.get(username=largest["manager"])
    waiting = Escalation.objects.filter(
        incident__organization__key=largest["key"], state__in=["open", "exhausted"]
    )
    assert waiting.filter(state="exhausted").exists()
    assert largest["escalations"]["exhausted"] == waiting.filter(state="exhausted").count()
    client = Client()
    sign_in(client, manager)
    response = client.get("/")
    assert response.status_code == 200
    assert {e.pk for e in response.context["all_unacknowledged"]} == set(
        waiting.values_list("pk", flat=True)[:30]
    )
    for escalation in waiting:
        assert escalation.incident.reference in response.content.decode()
    target = manifest["detail_targets"][0]
    for url in ("/", "/incidents/", f"/incidents/{target}/", "/paging/inbox/"):
        response = client.get(url)
        assert response.status_code == 200, url
        assert response.context["unacknowledged_chains"], url
    fallback = (
        Page.objects.filter(state="open", escalation__state="exhausted").select_related("recipient").first()
    )
    assert fallback is not None
    bench = {p["id"]: p["open_pages"] for o in manifest["organizations"] for p in o["bench_people"].values()}
    for person, expected in bench.items():
        assert Page.objects.filter(recipient_id=person, state="open").count() == expected

    # The services go on from here: the fallback acknowledges, the banner goes, the journal verifies.
    escalation = acknowledge(fallback, actor=fallback.recipient, via="app")
    assert escalation.state == "acknowledged"
    assert verify_chain()[1] is None

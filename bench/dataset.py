"""Django side of bench/list_pages.py: build a dataset through the services and count queries.

Run by list_pages.py in a child process whose environment already names the data dir and the
database (MAMORI_DATA_DIR, DATABASE_URL); it writes what the parent needs as JSON to --out:

    python bench/dataset.py --incidents N --out FILE

Nothing here is meant to be imported by the app or run by hand against real data.
"""

import argparse
import io
import json
import os
import statistics
import sys
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent

# A few kinds of report, so that the text search matches a share (1/8) of them, not all or none.
DESCRIPTIONS = [
    "不審なメールの添付ファイルを開いた",
    "USBメモリを紛失した",
    "Webサイトの表示が改ざんされている",
    "ファイルサーバーに接続できない",
    "身代金を要求する画面が表示された",
    "個人情報を含む書類を誤って送付した",
    "パスワードが漏えいした可能性がある",
    "ファイアウォールのログに不正アクセスの痕跡がある",
]
SEARCH_TEXT = "USB"
DETAIL_ACTIONS = 5
WARM_RUNS = 5  # in-process requests per page after the first (cold) one


def setup_django() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()


def migrate_and_load_policy() -> None:
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    call_command("load_policy", preset="komae", verbosity=0, stdout=io.StringIO())


def make_people() -> dict[str, Any]:
    """One person per komae role plus a staff member, as mamori/conftest.py make_org does."""
    from mamori.people.models import Organization, Role
    from mamori.people.services import assign_role, create_person

    org = Organization.objects.get(key="komae")
    people: dict[str, Any] = {"organization": org}
    for role in Role.objects.filter(organization=org):
        person = create_person(
            org,
            actor="bench",
            username=f"komae-{role.key}",
            display_name=role.title,
            password=None,  # nobody logs in with a password: the bench makes sessions and tokens
            email=f"{role.key}@komae.example",
        )
        assign_role(role, person, actor="bench")
        people[role.key] = person
    people["staff"] = create_person(
        org,
        actor="bench",
        username="komae-staff",
        display_name="職員 山本",
        password=None,
        email="staff@komae.example",
        phone="内線1234",
    )
    return people


def generate(people: dict[str, Any], n: int) -> dict[str, Any]:
    """N reports through submit_report; 60% triaged as incidents (a third of those with a handler),
    10% triaged as not incidents, 30% left in the triage queue. Returns timings per operation."""
    from django.utils import timezone

    from mamori.incidents import services
    from mamori.intake.choices import Channel
    from mamori.intake.services import ReportInput, submit_report

    org = people["organization"]
    manager = people["csirt_manager"]
    handler = people["handler"]
    categories: list[str] | None = None
    submit_s: list[float] = []
    triage_s: list[float] = []
    counts = {"received": 0, "responding": 0, "not_incident": 0, "with_handler": 0}
    first_triaged = None
    for i in range(n):
        kind = DESCRIPTIONS[i % len(DESCRIPTIONS)]
        data = ReportInput(
            description=f"{kind}（{i + 1}件目）\n"
            f"{kind}。発見した職員が所属長に連絡し、P○C担当者へ報告した。端末はネットワークから切り離していない。",
            discovered_at=timezone.now() - timedelta(hours=1 + i % 48),
            location="本庁舎3階 総務課",
            reporter_name="職員 山本",
            reporter_contact="内線1234",
            suspected_cause="標的型メール",
            impact_scope="端末1台",
        )
        t0 = time.perf_counter()
        if i % 2:
            received = submit_report(
                org, data, channel=Channel.PHONE, actor=people["poc"], on_behalf=True
            )  # a call logged by the PoC clerk
        else:
            received = submit_report(org, data, channel=Channel.STAFF_FORM, actor=people["staff"])
        submit_s.append(time.perf_counter() - t0)
        incident = received.incident
        share = i % 10
        if share >= 7:
            counts["received"] += 1
            continue
        if categories is None:
            categories = [c.key for c in services.policy_of(incident).categories]
        t0 = time.perf_counter()
        is_incident = share != 6
        incident = services.triage(
            incident,
            actor=manager,
            expected_version=incident.version,
            is_incident=is_incident,
            reason="端末のログで不審な通信を確認した",
            category=categories[i % len(categories)] if is_incident else "",
            level=(i % 4) if is_incident else None,
        )
        triage_s.append(time.perf_counter() - t0)
        if not is_incident:
            counts["not_incident"] += 1
            continue
        counts["responding"] += 1
        if share % 3 == 0:
            incident = services.assign_handler(
                incident, actor=manager, expected_version=incident.version, handler=handler
            )
            counts["with_handler"] += 1
            if first_triaged is None:
                first_triaged = incident
    return {
        "counts": counts,
        "submit_ms_median": round(statistics.median(submit_s) * 1000, 1) if submit_s else None,
        "triage_ms_median": round(statistics.median(triage_s) * 1000, 1) if triage_s else None,
        "detail_incident": first_triaged,
    }


def enrich_detail(people: dict[str, Any], incident: Any) -> None:
    """Give the detail page something to show: a few response actions on its timeline."""
    from mamori.incidents import response

    for k in range(DETAIL_ACTIONS):
        incident.refresh_from_db()
        response.record_action(
            incident,
            actor=people["handler"],
            expected_version=incident.version,
            phase="containment",
            description=f"対応記録 {k + 1}: 端末を隔離し、ログを保全した",
        )


def login_session(user: Any) -> str:
    """A session as the login view would create it; the key goes in the ``sessionid`` cookie."""
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.sessions.backends.db import SessionStore

    session = SessionStore()
    session[SESSION_KEY] = str(user.pk)
    session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    session[HASH_SESSION_KEY] = user.get_session_auth_hash()
    session.create()
    assert session.session_key
    return session.session_key


def pages(detail_id: int) -> dict[str, str]:
    """The pages measured, in the order of the report's table (the first is the floor)."""
    return {
        "/healthz": "/healthz",
        "/incidents/": "/incidents/",
        "/incidents/?state=open&q=…": f"/incidents/?state=open&q={SEARCH_TEXT}",
        "/incidents/queue/": "/incidents/queue/",
        "/incidents/<id>/": f"/incidents/{detail_id}/",
        "/api/v1/incidents?page_size=50": "/api/v1/incidents?page_size=50",
    }


def count_queries(manager: Any, token: str, detail_id: int) -> dict[str, dict[str, Any]]:
    """Each page once cold, then WARM_RUNS times warm, in-process (django.test.Client): query count, SQL time, size.

    /healthz goes without a session, as a load balancer calls it (and as list_pages.py does).
    """
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    anonymous = Client()
    browser = Client()
    browser.force_login(manager)
    api = Client(headers={"Authorization": f"Bearer {token}"})
    sql_time = [0.0]

    def timed(execute, sql, params, many, context):
        t0 = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            sql_time[0] += time.perf_counter() - t0

    result: dict[str, dict[str, Any]] = {}
    for name, path in pages(detail_id).items():
        client = api if path.startswith("/api/") else anonymous if path == "/healthz" else browser
        runs = []
        for _ in range(1 + WARM_RUNS):
            sql_time[0] = 0.0
            with CaptureQueriesContext(connection) as ctx, connection.execute_wrapper(timed):
                t0 = time.perf_counter()
                response = client.get(path)
                elapsed = time.perf_counter() - t0
            if response.status_code != 200:
                raise SystemExit(f"{path}: HTTP {response.status_code} in-process")
            runs.append((ctx.captured_queries, elapsed, sql_time[0], len(response.content)))
        cold, warm = runs[0], runs[1:]
        result[name] = {
            "queries_cold": len(cold[0]),
            "queries": len(warm[-1][0]),
            "queries_vary": len({len(r[0]) for r in warm}) > 1,
            "sql_ms": round(statistics.median(r[2] for r in warm) * 1000, 2),
            "inprocess_ms": round(statistics.median(r[1] for r in warm) * 1000, 1),
            "bytes": warm[-1][3],
            "sql": [q["sql"] for q in warm[-1][0]],
        }
    return result


def database_label() -> str:
    from django.db import connection

    if connection.vendor == "sqlite":
        import sqlite3

        return f"SQLite {sqlite3.sqlite_version}"
    if connection.vendor == "postgresql":
        v = connection.pg_version  # e.g. 150020
        return f"PostgreSQL {v // 10000}.{v % 10000}"
    return connection.vendor


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--incidents", type=int, required=True)
    parser.add_argument("--out", required=True)
    args = parser.parse_args()

    setup_django()
    import django
    from django.contrib.auth import get_user_model

    from mamori.api.auth import create_token
    from mamori.journal.services import entries_for

    started = time.perf_counter()
    migrate_and_load_policy()
    people = make_people()
    generated = generate(people, args.incidents)
    detail = generated.pop("detail_incident")
    if detail is None:
        raise SystemExit("too few incidents for a detail page: give --incidents 10 or more")
    enrich_detail(people, detail)
    manager = get_user_model().objects.get(pk=people["csirt_manager"].pk)
    _, token = create_token(manager, actor=manager, name="bench")
    generate_s = time.perf_counter() - started
    queries = count_queries(manager, token, detail.pk)
    out = {
        "incidents": args.incidents,
        "generate_s": round(generate_s, 1),
        **generated,
        "detail_id": detail.pk,
        "detail_reference": detail.reference,
        "detail_contents": {
            "reports": detail.reports.count(),
            "level changes": detail.level_changes.count(),
            "actions": detail.actions.count(),
            "obligations": detail.obligations.count(),
            "journal entries": len(entries_for(detail)),
        },
        "paths": pages(detail.pk),
        "session_key": login_session(manager),
        "token": token,
        "queries": queries,
        "database": database_label(),
        "django": django.get_version(),
    }
    Path(args.out).write_text(json.dumps(out, ensure_ascii=False, indent=1), encoding="utf-8")


if __name__ == "__main__":
    main()

"""How long does the incident register export take for 100,000 incidents, and does its memory stay flat?

    .venv/bin/python bench/register_export.py [--incidents N] [--database-url URL] [--no-write]

Builds a dataset in a temporary data dir (SQLite, or a throwaway PostgreSQL database created and
dropped here): the komae preset, one person per role, and N closed incidents spread evenly over ten
fiscal years, each with its first report, made with ``bulk_create`` in a child process (test data:
what is measured is the export). A second child process, started fresh so that the generation's
memory does not count, exports through the real view (``django.test.Client`` on
``/incidents/register.xlsx`` as the CSIRT manager, reading the streamed response in blocks):

1. one fiscal year (N/10 rows), then everything (N rows): wall time, SQL queries, file size, and the
   growth of the process's peak RSS (``ru_maxrss``) over what it was before that export;
2. the same two exports again under ``tracemalloc``: the peak of Python allocations (slower; its wall
   time is not reported).

If memory is flat, the peaks of the N/10 and N exports are about the same. The figures go to
docs/performance.md, section "Incident register export (issue 5)", between the markers of this
database (rewritten on each run; the reading around them is written by hand).
"""

import argparse
import json
import os
import resource
import time
import tracemalloc
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from common import child_env, child_json, database_options, machine, scratch, write_doc
from dataset import DESCRIPTIONS, database_label, make_people, migrate_and_load_policy, setup_django

TITLE = "incident register export (issue 5)"  # a new section's heading; the doc has its own
YEARS = 10
FIRST_YEAR = 2016
BATCH = 2000


# --- the parent ----------------------------------------------------------------------------------


def report(result: dict[str, Any], gen: dict[str, Any], command: str) -> str:
    lines = [
        f"### {result['database']}",
        "",
        f"Run {datetime.now(UTC):%Y-%m-%d %H:%M} UTC · {machine()} · "
        f"Django {result['django']}, openpyxl {result['openpyxl']} (lxml: {result['lxml']}) · "
        f"`{command}`",
        "",
        f"Dataset: {gen['incidents']:,} incidents (and their first reports) over {YEARS} fiscal years, "
        f"made with `bulk_create` in {gen['generate_s']} s.",
        "",
        "| export | rows | wall time | rows/s | SQL queries | file | peak RSS growth | peak RSS after | tracemalloc peak |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for run in result["runs"]:
        lines.append(
            f"| {run['label']} | {run['rows']:,} | {run['seconds']:.1f} s | {run['rows'] / run['seconds']:,.0f} "
            f"| {run['queries']} | {run['bytes'] / 1024 / 1024:.1f} MiB | {run['rss_growth_kib'] / 1024:.1f} MiB "
            f"| {run['rss_after_kib'] / 1024:.0f} MiB | {run['traced_peak_kib'] / 1024:.1f} MiB |"
        )
    lines += [
        "",
        f"Peak RSS of the measuring process before the two exports (after a warm-up export of "
        f"{FIRST_YEAR}): {result['rss_before_kib'] / 1024:.0f} MiB. *Peak RSS growth* is how much an export "
        "raised the process's high-water mark (both untraced exports run first, then both again "
        "under tracemalloc for its peak). The fiscal-year export runs two more queries than the full one: "
        "the filter form offers the handlers and years of the visible incidents, as on the list.",
    ]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--incidents", type=int, default=100_000)
    database_options(parser)
    parser.add_argument("--child", choices=["generate", "measure"], help=argparse.SUPPRESS)
    parser.add_argument("--out", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args)
        return

    database = f"mamori_bench_{os.getpid()}_register"
    with scratch(args.database_url, database, prefix="mamori-bench-register-") as (work, url):
        env = child_env(work, url)
        me = ("register_export.py", "--incidents", str(args.incidents), "--child")  # as a Django child
        gen = child_json(*me, "generate", env=env, out=work / "generate.json", timeout=1800)
        result = child_json(*me, "measure", env=env, out=work / "measure.json", timeout=1800)
    command = "python bench/register_export.py" + (
        f" --incidents {args.incidents}" if args.incidents != 100_000 else ""
    )
    if args.database_url:
        command += " --database-url postgres://…"
    text = report(result, gen, command)
    print(text)
    if not args.no_write:
        key = "postgresql" if args.database_url else "sqlite"
        write_doc("register_export", key, text, title=TITLE, opening="start")


# --- the children (Django) -----------------------------------------------------------------------


def child(args: argparse.Namespace) -> None:
    setup_django()
    if args.child == "generate":
        started = time.perf_counter()
        migrate_and_load_policy()
        people = make_people()
        generate(people, args.incidents)
        out = {"incidents": args.incidents, "generate_s": round(time.perf_counter() - started, 1)}
    else:
        out = measure(args.incidents)
        out["database"] = database_label()
    Path(args.out).write_text(json.dumps(out, ensure_ascii=False, indent=1), encoding="utf-8")


def generate(people: dict[str, Any], n: int) -> None:
    """N closed incidents over YEARS fiscal years with a first report each, in batches."""
    from django.db import transaction
    from django.utils import timezone

    from mamori import wareki
    from mamori.incidents.models import Incident, ReferenceCounter
    from mamori.intake.choices import Channel
    from mamori.intake.models import Report
    from mamori.policy.services import active_version, document_of

    org = people["organization"]
    version = active_version(org)
    policy = document_of(version)
    categories = [c.key for c in policy.categories]
    levels = [lv.value for lv in policy.levels]
    handlers = [people[k] for k in ("handler", "csirt_manager", "csirt_head")]
    channels = [Channel.STAFF_FORM, Channel.PHONE, Channel.MAIL, Channel.PUBLIC_FORM]
    per_year = -(-n // YEARS)
    now = timezone.now()
    numbers: dict[int, int] = {}
    for start in range(0, n, BATCH):
        incidents, reports = [], []
        for i in range(start, min(n, start + BATCH)):
            fy = FIRST_YEAR + i // per_year
            k = i % per_year
            opened = datetime(fy, 4, 1, 9, tzinfo=timezone.get_default_timezone()) + timedelta(
                minutes=k * (365 * 24 * 60 // per_year)
            )
            numbers[fy] = numbers.get(fy, 0) + 1
            reference = f"{wareki.reference_prefix(fy)}-{numbers[fy]:04d}"
            title = DESCRIPTIONS[i % len(DESCRIPTIONS)]
            incidents.append(
                Incident(
                    organization=org,
                    reference=reference,
                    fiscal_year=fy,
                    title=f"{title}（{i + 1}件目）",
                    state="closed",
                    category=categories[i % len(categories)],
                    level=levels[i % len(levels)],
                    handler=handlers[i % len(handlers)] if i % 4 else None,
                    policy=version,
                    affected_systems="財務会計システム、庁内LAN",
                    personal_data=i % 5 == 0,
                    is_drill=i % 50 == 0,
                    summary=f"{title}。発見した職員が所属長に連絡し、P○C担当者へ報告した。端末をネットワークから切り離し、ログを保全した。",
                    root_cause="標的型メールの添付ファイルの実行",
                    prevention_measures="添付ファイルの無害化を導入し、全職員に注意喚起した。",
                    publication_decision="not_publish",
                    opened_at=opened,
                    triaged_at=opened + timedelta(hours=1),
                    contained_at=opened + timedelta(hours=5),
                    closed_at=opened + timedelta(days=7),
                    updated_at=now,
                )
            )
        with transaction.atomic():
            created = Incident.objects.bulk_create(incidents)
            for incident, i in zip(created, range(start, start + len(created)), strict=True):
                reports.append(
                    Report(
                        organization=org,
                        reference=incident.reference,
                        incident=incident,
                        channel=channels[i % len(channels)],
                        received_at=incident.opened_at,
                        description=incident.title,
                    )
                )
            Report.objects.bulk_create(reports)
    for fy, last in numbers.items():
        ReferenceCounter.objects.update_or_create(
            organization=org, fiscal_year=fy, defaults={"last_number": last}
        )


def measure(n: int) -> dict[str, Any]:
    import django
    import openpyxl
    from django.contrib.auth import get_user_model
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext
    from django_otp import DEVICE_ID_SESSION_KEY
    from django_otp.plugins.otp_totp.models import TOTPDevice

    manager = get_user_model().objects.get(username="komae-csirt_manager")
    client = Client()
    client.force_login(manager)
    # As a finished login leaves the session: the CSIRT manager's second factor verified.
    device, _created = TOTPDevice.objects.get_or_create(
        user=manager, defaults={"name": "bench", "confirmed": True}
    )
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()
    client.get("/incidents/")  # the first visit records the session's activity

    def export(query: str, *, traced: bool) -> dict[str, Any]:
        before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        if traced:
            tracemalloc.start()
        size = 0
        with CaptureQueriesContext(connection) as ctx:
            t0 = time.perf_counter()
            response = client.get("/incidents/register.xlsx" + query)
            if response.status_code != 200:
                raise SystemExit(f"export answered {response.status_code}")
            for block in response.streaming_content:
                size += len(block)
            response.close()
            seconds = time.perf_counter() - t0
        peak = 0
        if traced:
            peak = tracemalloc.get_traced_memory()[1]
            tracemalloc.stop()
        rows = connection.cursor().execute(
            "SELECT data FROM journal_journalentry WHERE action = 'register.exported' ORDER BY seq DESC LIMIT 1"
        )
        data = rows.fetchone()[0]
        data = json.loads(data) if isinstance(data, str) else data
        return {
            "seconds": seconds,
            "queries": len(ctx.captured_queries),
            "bytes": size,
            "rows": data["rows"],
            "rss_growth_kib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before,
            "rss_after_kib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
            "traced_peak_kib": peak / 1024,
        }

    last_year = FIRST_YEAR + YEARS - 1
    export(f"?fiscal_year={FIRST_YEAR}", traced=False)  # warm-up: imports, policy cache
    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    exports = ((f"one fiscal year ({last_year})", f"?fiscal_year={last_year}"), ("everything", ""))
    # Untraced first, both: tracemalloc's own bookkeeping would raise the RSS high-water mark.
    runs = [{"label": label, **export(query, traced=False)} for label, query in exports]
    for run, (_label, query) in zip(runs, exports, strict=True):
        run["traced_peak_kib"] = export(query, traced=True)["traced_peak_kib"]
    return {
        "runs": runs,
        "rss_before_kib": rss_before,
        "django": django.get_version(),
        "openpyxl": openpyxl.__version__,
        "lxml": openpyxl.LXML,
    }


if __name__ == "__main__":
    main()

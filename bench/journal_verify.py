"""How fast is the journal verified? Goal (issue 6): 200,000 entries a second, 5–10 million entries.

    .venv/bin/python bench/journal_verify.py [--entries N] [--runs R] [--database-url URL] [--no-write]

Builds a journal of N entries (default 1,000,000) in a temporary data dir (SQLite) or a throwaway
PostgreSQL database ``mamori_bench_<pid>_journal`` created and dropped here, in a child process:
migrate, the ``komae`` preset and one person per role through the services (their journal entries
come first), then the rest appended in bulk, shaped like the entries the services write (Japanese
text included) and hashed with ``mamori.journal.chain.entry_hash``. A second child process, started
fresh, times ``verify`` (what ``verify_chain`` and ``manage.py verify_journal`` run) R times with
its defaults, once more with a single process, and once the check as it was before issue 6 (model
instances and ``chain.entry_hash``, kept as mamori/journal/tests/reference.py), unless --no-before.
The median of the R runs goes to docs/performance.md, in the section of this database (see
bench/README.md), with the load average around each run: the machine has 2 cores and other work.
"""

import argparse
import contextlib
import json
import os
import statistics
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from common import (
    DOC,
    ROOT,
    child_env,
    child_json,
    cpu_seconds,
    database_options,
    load_average,
    machine,
    newest_source,
    scratch,
    write_doc,
)
from dataset import DESCRIPTIONS, database_label, make_people, migrate_and_load_policy, setup_django

BUILD_TIMEOUT = 1800
MEASURE_TIMEOUT = 1800
GOAL = 200_000
TITLE = "verifying the journal's hash chain (issue 6)"
INSERT_BATCH = 10_000


# --- child: the journal --------------------------------------------------------------------------

PLACES = ["本庁舎3階 総務課", "第二庁舎 市民課窓口", "教育委員会 学校教育課", "上下水道部 管理課"]


def entry_shape(i: int, moment: datetime, people: list[Any]) -> tuple[str, str, str, str, dict[str, Any]]:
    """(action, object type, object id, object label, data) of the i-th bulk entry, as the services
    write them (mamori/intake, incidents, paging, accounts): grep ``record(`` for the originals."""
    incident = i // 40 + 1
    reference = f"K{2016 + incident // 20000}-{incident % 20000:05d}"
    description = DESCRIPTIONS[incident % len(DESCRIPTIONS)]
    person = people[i % len(people)]
    kind = i % 8
    if kind == 0:
        return (
            "report.received",
            "intake.report",
            str(incident),
            f"{reference} {description}",
            {
                "channel": "staff_form",
                "on_behalf": False,
                "incident": reference,
                "discovered_at": (moment - timedelta(hours=1)).isoformat(),
                "location": PLACES[i % len(PLACES)],
                "description": f"{description}（{incident}件目）\n発見した職員が所属長に連絡した。",
                "reporter_name": "職員 山本",
                "attachments": [],
            },
        )
    if kind == 1:
        return (
            "incident.triaged",
            "incidents.incident",
            str(incident),
            f"{reference} {description}",
            {
                "before": "reported",
                "is_incident": True,
                "category": "malware",
                "level": 1 + i % 4,
                "reason": "標的型メールの可能性があるため",
                "policy_version": 3,
                "personal_data": i % 3 == 0,
                "restricted": False,
            },
        )
    if kind == 2:
        return (
            "escalation.started",
            "paging.escalation",
            str(i),
            f"{reference} CSIRT管理者",
            {
                "incident": reference,
                "role": "csirt_manager",
                "text": "インシデントの報告がありました。確認してください。",
                "basis": "komae 第9条第3項",
                "ack_minutes": 30,
                "chain": ["komae-csirt_manager", "komae-csirt_head", "komae-ciso"],
            },
        )
    if kind == 3:
        return (
            "page.sent",
            "paging.page",
            str(i),
            f"{reference} → {person.username}",
            {"incident": reference, "recipient": person.username, "step": i % 3, "acting_for": None},
        )
    if kind == 4:
        return (
            "action.recorded",
            "incidents.responseaction",
            str(i),
            f"{reference} 封じ込め",
            {
                "incident": reference,
                "phase": "containment",
                "description": "該当端末をネットワークから切り離し、ウイルス対策ソフトで全体をスキャンした。",
                "taken_at": moment.isoformat(),
                "emergency_action": i % 5 == 0,
            },
        )
    if kind == 5:
        return (
            "incident.level_changed",
            "incidents.incident",
            str(incident),
            f"{reference} {description}",
            {"from": 1, "to": 2, "reason": "個人情報の漏えいのおそれ", "level_change": i},
        )
    if kind == 6:
        return (
            "access.login",
            "people.user",
            str(person.pk),
            person.display_name,
            {"address": f"192.0.2.{i % 250 + 1}", "backend": "django.contrib.auth.backends.ModelBackend"},
        )
    return (
        "person.updated",
        "people.user",
        str(person.pk),
        person.display_name,
        {"phone": ["内線1234", f"内線{1000 + i % 9000}"], "email": ["", f"{person.username}@komae.example"]},
    )


def build(entries: int, out: Path) -> None:
    setup_django()
    from types import SimpleNamespace

    import django
    from django.db import connection, transaction

    from mamori.journal.chain import entry_hash
    from mamori.journal.models import JournalEntry, JournalHead
    from mamori.journal.scan import COLUMNS

    started = time.perf_counter()
    migrate_and_load_policy()
    people_by_role = make_people()
    organization = people_by_role.pop("organization")
    people = list(people_by_role.values())
    head = JournalHead.objects.get(pk=1)
    through_services = head.last_seq
    seq, prev_hash = head.last_seq, head.last_hash
    moment = JournalEntry.objects.get(seq=seq).created_at.astimezone(UTC)
    quote = connection.ops.quote_name
    columns = [c for c in COLUMNS if c != "id"]  # the verifier's columns; the database gives the id
    table, names, marks = (
        quote(JournalEntry._meta.db_table),
        ", ".join(map(quote, columns)),
        ", ".join(["%s"] * len(columns)),
    )
    insert = f"INSERT INTO {table} ({names}) VALUES ({marks})"  # noqa: S608 - our own names only
    postgresql = connection.vendor == "postgresql"

    def write(rows: list[tuple[Any, ...]]) -> None:
        with transaction.atomic(), connection.cursor() as cursor:
            if not postgresql:
                cursor.executemany(insert, rows)
                return
            # COPY: the JSON text as Django's Jsonb adapter would send it (json.dumps), parsed by jsonb.
            with cursor.cursor.copy(f"COPY {table} ({names}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)

    rows: list[tuple[Any, ...]] = []
    for i in range(entries - seq):
        seq += 1
        # One entry every 30 s on average (10 million in ten years), microseconds and all.
        moment += timedelta(seconds=1 + (i * 7919) % 59, microseconds=(i * 104729) % 1_000_000)
        action, object_type, object_id, object_label, data = entry_shape(i, moment, people)
        actor = people[i % len(people)] if i % 8 not in (2, 3) else None  # paging is the system's
        entry = SimpleNamespace(
            seq=seq,
            created_at=moment,
            organization_id=organization.pk,
            actor_id=actor.pk if actor else None,
            actor_label=actor.display_name if actor else "system",
            action=action,
            object_type=object_type,
            object_id=object_id,
            object_label=object_label,
            data=data,
            prev_hash=prev_hash,
        )
        prev_hash = entry_hash(entry)
        stored = {
            **vars(entry),
            "created_at": moment if postgresql else connection.ops.adapt_datetimefield_value(moment),
            "data": json.dumps(data) if postgresql else connection.ops.adapt_json_value(data, None),
            "hash": prev_hash,
        }
        rows.append(tuple(stored[c] for c in columns))
        if len(rows) == INSERT_BATCH:
            write(rows)
            rows = []
    if rows:
        write(rows)
    JournalHead.objects.filter(pk=1).update(last_seq=seq, last_hash=prev_hash)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # As autovacuum would soon after: statistics, and the hint bits a first read would set
            # otherwise (slowing the first timed run by a third; a journal in use has them long since).
            cursor.execute("VACUUM (ANALYZE) journal_journalentry")
            cursor.execute("SELECT pg_total_relation_size('journal_journalentry')")
            size = cursor.fetchone()[0]
        else:
            size = Path(connection.settings_dict["NAME"]).stat().st_size
    result = {
        "entries": seq,
        "through_services": through_services,
        "build_s": round(time.perf_counter() - started, 1),
        "size_mib": round(size / 2**20),
        "database": database_label(),
        "django": django.get_version(),
    }
    out.write_text(json.dumps(result), encoding="utf-8")


# --- child: the timing ---------------------------------------------------------------------------


def measure(runs: int, processes: int | None, before: bool, out: Path) -> None:
    setup_django()
    import orjson

    from mamori.journal.tests.reference import reference_verify_chain
    from mamori.journal.verify import verify

    def timed(label: str, check: Any) -> dict[str, Any]:
        load_before, cpu_before, wall_start = load_average(), os.times(), time.time()
        started = time.perf_counter()
        result = check()
        seconds = time.perf_counter() - started
        cpu_after = os.times()
        checked, problem = (result.checked, result.problem) if hasattr(result, "checked") else result
        if problem is not None:
            raise SystemExit(f"{label}: the journal is broken: {problem}")
        cpu = sum(cpu_after[:4]) - sum(cpu_before[:4])  # this process and its (joined) children
        run = {
            "label": label,
            "checked": checked,
            "seconds": seconds,
            "rate": checked / seconds,
            "cpu_s": cpu,
            "processes": getattr(result, "processes", 1),
            "rechecked": getattr(result, "rechecked", None),
            "load_before": load_before,
            "load_after": load_average(),
            "window": (wall_start, time.time()),
        }
        print(f"  {label}: {checked:,} entries in {seconds:.2f} s, {run['rate']:,.0f}/s", flush=True)
        return run

    timings = [timed(f"run {k + 1}", lambda: verify(processes=processes)) for k in range(runs)]
    single = timed("one process", lambda: verify(processes=1))
    old = timed("before issue 6", reference_verify_chain) if before else None
    result = {"runs": timings, "single": single, "before": old, "orjson": orjson.__version__}
    out.write_text(json.dumps(result), encoding="utf-8")


# --- PostgreSQL's share ------------------------------------------------------------------------


class BackendWatch(threading.Thread):
    """CPU time of the PostgreSQL backends connected to the bench's database, read from /proc.

    Sampled every 50 ms from this process (no Django here, and none of its time in the measured
    process): a backend that ends between two samples loses at most its last 50 ms.
    """

    def __init__(self, admin_url: str, database: str) -> None:
        super().__init__(daemon=True)
        self.admin_url, self.database = admin_url, database
        self.stopping = threading.Event()
        self.seen: dict[int, float] = {}
        self.timeline: list[tuple[float, float]] = []

    def run(self) -> None:
        import psycopg

        with psycopg.connect(self.admin_url, autocommit=True) as conn:
            while not self.stopping.is_set():
                query = "SELECT pid FROM pg_stat_activity WHERE datname = %s"
                for (pid,) in conn.execute(query, [self.database]).fetchall():
                    with contextlib.suppress(OSError, ValueError, IndexError):
                        self.seen[pid] = cpu_seconds(pid)
                self.timeline.append((time.time(), sum(self.seen.values())))
                time.sleep(0.05)

    def used(self, start: float, end: float) -> float | None:
        """CPU seconds of the backends between two moments, or None if not sampled around them."""
        before = [cpu for at, cpu in self.timeline if at <= start]
        after = [cpu for at, cpu in self.timeline if at >= end]
        return after[0] - before[-1] if before and after else None


def local(url: str) -> bool:
    return urlsplit(url).hostname in ("127.0.0.1", "localhost", "::1")


# --- the report ----------------------------------------------------------------------------------


def section(args: Any, built: dict[str, Any], timing: dict[str, Any], meta: dict[str, Any]) -> str:
    runs = timing["runs"]
    median = statistics.median(r["rate"] for r in runs)
    code = datetime.fromtimestamp(meta["source_after"]).astimezone().strftime("%Y-%m-%d %H:%M:%S %Z")
    if meta["source_after"] != meta["source_before"]:
        code += " — ⚠ the code changed while the benchmark ran: figures may mix two versions"
    verdict = "met" if median >= GOAL else "**not met**"

    postgresql = "postgres_cpu_s" in runs[0]

    def row(name: str, r: dict[str, Any]) -> str:
        rechecked = "" if r["rechecked"] is None else f"{r['rechecked']:,}"
        server = ""
        if postgresql:
            server = (
                "n/a" if r["postgres_cpu_s"] is None else f"{r['postgres_cpu_s'] / r['checked'] * 1e6:.1f}"
            )
            server = f" {server} |"
        return (
            f"| {name} | {r['processes']} | {r['seconds']:.2f} | {r['rate']:,.0f} | {r['cpu_s']:.1f} "
            f"| {r['cpu_s'] / r['checked'] * 1e6:.1f} |{server} {rechecked} "
            f"| {r['load_before']} → {r['load_after']} |"
        )

    per_entry = statistics.median(
        (r["cpu_s"] + (r.get("postgres_cpu_s") or 0)) / r["checked"] * 1e6 for r in runs
    )
    cores = os.cpu_count() or 1

    lines = [
        f"### {built['database']}",
        "",
        f"- Date: {meta['started']:%Y-%m-%d %H:%M %Z}; run took {meta['total_s']:.0f} s; load average "
        f"(1/5/15 min) {meta['load_before']} at the start, {meta['load_after']} at the end",
        f"- Machine: {machine()}; database {built['database']}; Django {built['django']}; orjson {timing['orjson']}",
        f"- Code: newest file under mamori/, templates/, config/ modified {code}",
        f"- Journal: N = {built['entries']:,} entries ({built['through_services']} written through the services "
        f"while loading the `komae` preset and its people, the rest appended in bulk in the shape the services "
        f"write: reports, triage, escalations, pages, actions, logins, person changes, Japanese text), hashed "
        f"with `chain.entry_hash`; built in {built['build_s']:.0f} s; table and indexes {built['size_mib']} MiB",
        "",
        "| run | processes | seconds | entries/s | CPU s | CPU µs / entry |"
        + (" PostgreSQL CPU µs / entry |" if postgresql else "")
        + " hashed the exact way | load average before → after |",
        "|---|---:|---:|---:|---:|---:|" + ("---:|" if postgresql else "") + "---:|---|",
        *[row(r["label"], r) for r in runs],
        row("one process", timing["single"]),
        *([row("before issue 6", timing["before"])] if timing["before"] else []),
        "",
        f"- **Median of the {len(runs)} runs: {median:,.0f} entries/s** "
        f"(`verify` with its defaults, as `manage.py verify_journal` and the hourly `check_journal` run it); "
        f"goal {GOAL:,} entries/s {verdict}.",
        "- CPU s: user + system time of the verifying process and the processes it forked, so CPU µs / "
        "entry does not depend on what else the machine did"
        + (
            "; PostgreSQL CPU: its backends serving the bench's database, sampled from /proc every 50 ms"
            if postgresql
            else ""
        )
        + ". *Hashed the exact way*: entries whose fast text was not certain or did not match, hashed "
        "again as a model instance (0 on an intact journal without integers beyond 64 bits).",
        f"- Work per entry (median): {per_entry:.1f} CPU µs"
        + (" with PostgreSQL's" if postgresql else "")
        + f"; with the {cores} cores to itself the check would do about "
        f"{cores / per_entry * 1e6:,.0f} entries/s (an estimate: CPU time ÷ cores, not a measurement).",
    ]
    if timing["before"]:
        lines.append(
            f"- Before issue 6 (model instances in batches of 2,000 and `chain.entry_hash`, "
            f"mamori/journal/tests/reference.py): {timing['before']['rate']:,.0f} entries/s, so the median "
            f"is {median / timing['before']['rate']:.1f}× that."
        )
    return "\n".join(lines)


# --- main ----------------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--entries", type=int, default=1_000_000, help="N, entries in the journal (1000000)")
    parser.add_argument(
        "--runs", type=int, default=3, help="timed runs of verify, the median is reported (3)"
    )
    parser.add_argument("--processes", type=int, help="processes for verify (default: its own choice)")
    parser.add_argument(
        "--no-before", action="store_true", help="skip timing the check as it was before issue 6"
    )
    database_options(parser)
    parser.add_argument("--child", choices=["build", "measure"], help=argparse.SUPPRESS)
    parser.add_argument("--out", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child == "build":
        build(args.entries, args.out)
        return
    if args.child == "measure":
        measure(args.runs, args.processes, not args.no_before, args.out)
        return
    if args.entries < 1000 or args.runs < 1:
        parser.error("give at least 1000 entries and 1 run")

    started_at = datetime.now().astimezone()
    source_before = newest_source()
    load_before = load_average()
    t_start = time.monotonic()
    made_db = f"mamori_bench_{os.getpid()}_journal"
    with scratch(args.database_url, made_db, prefix="mamori-bench-journal-") as (work, url):
        env = child_env(work / "data", url)
        print(f"building a journal of {args.entries:,} entries …", flush=True)
        me = ("journal_verify.py", "--child")  # this script, as a Django child
        building = ("build", "--entries", str(args.entries))
        built = child_json(*me, *building, env=env, out=work / "built.json", timeout=BUILD_TIMEOUT)
        print(f"  built in {built['build_s']} s ({built['database']}, {built['size_mib']} MiB)", flush=True)
        measuring = ["measure", "--runs", str(args.runs)]
        if args.processes:
            measuring += ["--processes", str(args.processes)]
        if args.no_before:
            measuring.append("--no-before")
        watch = None
        if url and local(args.database_url):
            watch = BackendWatch(args.database_url, made_db)
            watch.start()
        print("verifying …", flush=True)
        try:
            timing = child_json(*me, *measuring, env=env, out=work / "timing.json", timeout=MEASURE_TIMEOUT)
        finally:
            if watch:
                time.sleep(0.2)  # a sample after the last run
                watch.stopping.set()
                watch.join()
        if url:
            for r in [*timing["runs"], timing["single"], *([timing["before"]] if timing["before"] else [])]:
                r["postgres_cpu_s"] = watch.used(*r["window"]) if watch else None
        meta = {
            "started": started_at,
            "total_s": time.monotonic() - t_start,
            "load_before": load_before,
            "load_after": load_average(),
            "source_before": source_before,
            "source_after": newest_source(),
        }
        body = section(args, built, timing, meta)
    print(body)
    if not args.no_write:
        write_doc("journal_verify", "postgresql" if args.database_url else "sqlite", body, title=TITLE)
        print(f"written to {DOC.relative_to(ROOT)}")


if __name__ == "__main__":
    main()

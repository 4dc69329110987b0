"""How late does the worker send pages when 10,000 fall due within one minute? Goal: p99 under 1 s.

    .venv/bin/python bench/paging_lag.py [--pages N] [--window S] [--workers 1,2] [--database-url URL]

Builds a data dir with N open pages, one queued ``inbox`` delivery each (bench/paging_dataset.py),
in a temporary folder (SQLite) or a throwaway PostgreSQL database created and dropped here. For each
worker count, on a fresh copy of that data: starts that many ``manage.py run_worker`` processes,
and once they run spreads the deliveries' ``next_attempt_at`` evenly over a window of S seconds
starting a few seconds later, so the workers meet a steady stream of due work, not a backlog. It
waits until every delivery is sent (at most --timeout seconds after the first due time), stops the
workers with SIGTERM and reads from the database, as an operator would: the lag
``sent_at − next_attempt_at`` of each delivery, and whether any was sent twice.
The figures go to docs/performance.md, in the section of this database (see bench/README.md).
"""

import argparse
import contextlib
import math
import os
import re
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from common import (
    DOC,
    ROOT,
    child_env,
    child_json,
    cpu_seconds,
    database_options,
    load_average,
    machine,
    machine_busy,
    newest_source,
    processes,
    scratch,
    stored_moment,
    write_doc,
)

BUILD_TIMEOUT = 300
START_TIMEOUT = 30  # seconds for a worker to log that it started
STOP_TIMEOUT = 15
POLL_SECONDS = 0.5
GOAL_P99_S = 1.0
SLICES = 6  # the window is cut into this many slices for the p99-over-time line
TITLE = "10,000 pages due within one minute"


# --- the database, seen from outside -------------------------------------------------------------


class Database:
    """A plain connection (sqlite3 or psycopg) to a run's database: no Django in this process."""

    def __init__(self, sqlite_path: Path | None = None, url: str | None = None):
        self.sqlite = sqlite_path is not None
        if sqlite_path is not None:
            self.conn: Any = sqlite3.connect(sqlite_path, timeout=20, isolation_level=None)
        else:
            import psycopg

            self.conn = psycopg.connect(url, autocommit=True)

    def query(self, sql: str, *params: Any) -> list[tuple]:
        if self.sqlite:
            return self.conn.execute(sql.replace("%s", "?"), params).fetchall()
        return self.conn.execute(sql, params).fetchall()

    def update_many(self, sql: str, rows: list[tuple]) -> None:
        """One transaction: the workers see all the new due times or none."""
        if self.sqlite:
            self.conn.execute("BEGIN IMMEDIATE")
            self.conn.executemany(sql.replace("%s", "?"), rows)
            self.conn.execute("COMMIT")
            return
        with self.conn.transaction(), self.conn.cursor() as cur:
            cur.executemany(sql, rows)

    def value(self, moment: datetime) -> Any:
        # Django keeps SQLite datetimes as naive UTC text; always with microseconds, so they sort.
        return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f") if self.sqlite else moment

    def close(self) -> None:
        self.conn.close()


# --- workers -------------------------------------------------------------------------------------


class CpuWatch:
    """Who used the CPU while the stream ran: the workers, PostgreSQL (all its processes), the rest.

    Every process is sampled at each poll, so PostgreSQL backends that Django replaces meanwhile
    (CONN_MAX_AGE) are counted up to their last sample. *The rest* is the machine's total minus
    those two: this script, processes too short-lived to be sampled, and any other work on the
    machine, so a run disturbed by something else shows it.
    """

    def __init__(self) -> None:
        self.started = time.monotonic()
        self.busy = machine_busy()
        self.first = processes()
        self.last = dict(self.first)

    def sample(self) -> None:
        self.last.update(processes())

    def shares(self, workers: set[int]) -> dict[str, float]:
        self.sample()
        busy = machine_busy()
        wall = time.monotonic() - self.started
        used = {"workers": 0.0, "postgres": 0.0}
        for pid, (comm, _group, seconds) in self.last.items():
            key = "workers" if pid in workers else "postgres" if comm == "postgres" else None
            if key:
                before = self.first.get(pid)
                used[key] += seconds - (before[2] if before and before[0] == comm else 0.0)
        total = (busy[0] - self.busy[0]) / os.sysconf("SC_CLK_TCK")
        used["other"] = max(0.0, total - used["workers"] - used["postgres"])
        cores = {k: v / wall for k, v in used.items()}
        cores["machine"] = (busy[0] - self.busy[0]) / max(1, busy[1] - self.busy[1])
        return cores


def start_workers(n: int, env: dict[str, str], work: Path, profile: Path | None) -> list[dict[str, Any]]:
    workers = []
    for k in range(1, n + 1):
        log = work / f"worker-{k}.log"
        command = [sys.executable, str(ROOT / "manage.py"), "run_worker"]
        if profile is not None and k == 1:
            command[1:1] = ["-m", "cProfile", "-o", str(profile)]
        with log.open("wb") as out:
            process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
        workers.append({"process": process, "log": log})
    deadline = time.monotonic() + START_TIMEOUT
    for worker in workers:
        while "worker started" not in worker["log"].read_text(errors="replace"):
            if worker["process"].poll() is not None or time.monotonic() > deadline:
                stop_workers(workers)
                raise SystemExit(f"a worker did not start:\n{worker['log'].read_text(errors='replace')}")
            time.sleep(0.1)
    return workers


def stop_workers(workers: list[dict[str, Any]]) -> None:
    for worker in workers:
        if worker["process"].poll() is None:
            worker["process"].send_signal(signal.SIGTERM)  # finishes the delivery in hand, then exits
    for worker in workers:
        try:
            worker["process"].wait(timeout=STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            worker["process"].kill()
            worker["process"].wait()
            worker["killed"] = True


def worker_log_summary(workers: list[dict[str, Any]]) -> dict[str, Any]:
    passes, errors, jobs = [], [], ""
    for worker in workers:
        text = worker["log"].read_text(errors="replace")
        started = re.search(r"worker started with jobs: (.*)", text)
        jobs = started.group(1).strip() if started else jobs
        found = re.search(r"worker stopped after (\d+) passes", text)
        passes.append(int(found.group(1)) if found else None)
        errors += [line for line in text.splitlines() if " ERROR " in line or " CRITICAL " in line]
    return {
        "passes": passes,
        "errors": errors,
        "exit_codes": [w["process"].returncode for w in workers],
        "killed": sum(1 for w in workers if w.get("killed")),
        "jobs": jobs,
    }


# --- one run -------------------------------------------------------------------------------------


def schedule(db: Database, window: float, start_in: float) -> dict[str, Any]:
    """Spread the parked deliveries evenly over ``window`` seconds, the first ``start_in`` s from now."""
    ids = [row[0] for row in db.query("SELECT id FROM paging_delivery WHERE state = 'queued' ORDER BY id")]
    first_due = datetime.now(UTC) + timedelta(seconds=start_in)
    step = window / len(ids)
    rows = [(db.value(first_due + timedelta(seconds=i * step)), pk) for i, pk in enumerate(ids)]
    t0 = time.perf_counter()
    db.update_many("UPDATE paging_delivery SET next_attempt_at = %s WHERE id = %s", rows)
    written = datetime.now(UTC)
    return {
        "first_due": first_due,
        "step_ms": step * 1000,
        "write_s": time.perf_counter() - t0,
        "margin_s": (first_due - written).total_seconds(),
    }


def wait_until_sent(
    db: Database, workers: list[dict[str, Any]], first_due: datetime, timeout: float, watch: CpuWatch
) -> bool:
    give_up = first_due + timedelta(seconds=timeout)
    while datetime.now(UTC) < give_up:
        waiting = db.query("SELECT count(*) FROM paging_delivery WHERE state IN ('queued', 'retrying')")[0][0]
        if waiting == 0:
            return True
        if all(w["process"].poll() is not None for w in workers):
            return False
        watch.sample()
        time.sleep(POLL_SECONDS)
    return False


def percentile(ordered: list[float], p: float) -> float:
    """Nearest rank: the smallest value with at least p of the values at or below it."""
    return ordered[max(0, math.ceil(p * len(ordered)) - 1)]


def collect(db: Database, first_due: datetime, window: float) -> dict[str, Any]:
    rows = db.query("SELECT id, page_id, state, next_attempt_at, sent_at, attempts FROM paging_delivery")
    tries = dict(db.query("SELECT delivery_id, count(*) FROM paging_deliveryattempt GROUP BY delivery_id"))
    inbox = dict(db.query("SELECT page_id, count(*) FROM paging_inboxmessage GROUP BY page_id"))
    states: dict[str, int] = {}
    lags, sent_times, dues = [], [], []
    slices: list[list[float]] = [[] for _ in range(SLICES)]
    for _pk, _page, state, due_value, sent_value, _attempts in rows:
        states[state] = states.get(state, 0) + 1
        due, sent = stored_moment(due_value), stored_moment(sent_value)
        assert due is not None
        dues.append(due)
        if state != "sent" or sent is None:
            continue
        lag = (sent - due).total_seconds()
        lags.append(lag)
        sent_times.append(sent)
        offset = (due - first_due).total_seconds()
        slices[min(SLICES - 1, max(0, int(offset / window * SLICES)))].append(lag)
    ordered = sorted(lags)
    per_second: dict[int, int] = {}
    for sent in sent_times:
        second = int((sent - first_due).total_seconds() // 1)
        per_second[second] = per_second.get(second, 0) + 1
    last_sent = max(sent_times) if sent_times else None
    span = (last_sent - first_due).total_seconds() if last_sent else 0
    return {
        "deliveries": len(rows),
        "sent": len(lags),
        "states": states,
        "p50": percentile(ordered, 0.50) if ordered else None,
        "p99": percentile(ordered, 0.99) if ordered else None,
        "max": ordered[-1] if ordered else None,
        "over_goal": sum(1 for lag in lags if lag > GOAL_P99_S),
        "throughput": len(lags) / span if span > 0 else None,
        "peak_second": max(per_second.values()) if per_second else 0,
        "per_second": [per_second.get(k, 0) for k in range(max(per_second, default=-1) + 1)],
        "tail_s": (last_sent - max(dues)).total_seconds() if last_sent else None,
        "slice_p99": [percentile(sorted(s), 0.99) if s else None for s in slices],
        "attempts_not_one": sum(1 for pk, *_ in rows if tries.get(pk, 0) != 1),
        "attempts_twice": sum(1 for n in tries.values() if n > 1),
        "inbox_not_one": sum(1 for _pk, page, *_ in rows if inbox.get(page, 0) != 1),
        "inbox_twice": sum(1 for n in inbox.values() if n > 1),
    }


def run(
    n_workers: int, env: dict[str, str], db_open, args: argparse.Namespace, work: Path, profile: Path | None
) -> dict[str, Any]:
    print(f"{n_workers} worker(s): starting …", flush=True)
    workers = start_workers(n_workers, env, work / f"w{n_workers}", profile)
    db = db_open()
    try:
        # Let each worker finish its first pass (which runs the hourly journal check) before the stream.
        time.sleep(1)
        cpu_start = [cpu_seconds(w["process"].pid) for w in workers]
        plan = schedule(db, args.window, args.start_in)
        print(
            f"  {args.pages} deliveries due from {plan['first_due']:%H:%M:%S} UTC over {args.window:g} s "
            f"(written in {plan['write_s']:.2f} s, {plan['margin_s']:.1f} s before the first due time)",
            flush=True,
        )
        load_before = load_average()
        watch = CpuWatch()
        finished = wait_until_sent(db, workers, plan["first_due"], args.timeout, watch)
        cores = watch.shares({w["process"].pid for w in workers})
        cpu = []
        for worker, start in zip(workers, cpu_start, strict=True):
            with contextlib.suppress(OSError):
                cpu.append(cpu_seconds(worker["process"].pid) - start)
        load_after = load_average()
    finally:
        stop_workers(workers)
        db.close()
    db = db_open()
    try:
        result = collect(db, plan["first_due"], args.window)
    finally:
        db.close()
    result.update(
        workers=n_workers,
        finished=finished,
        plan={k: v for k, v in plan.items() if k != "first_due"},
        cpu_s=cpu,
        machine_busy=cores.pop("machine"),
        cores=cores,
        load_before=load_before,
        load_after=load_after,
        **worker_log_summary(workers),
    )
    print(
        f"  p50 {fmt(result['p50'])} s, p99 {fmt(result['p99'])} s, max {fmt(result['max'])} s, "
        f"{result['sent']}/{result['deliveries']} sent"
        + ("" if finished else f" — gave up {args.timeout:g} s after the first due time"),
        flush=True,
    )
    if args.timeline:
        print("  sent per second from the first due time:", *result["per_second"])
    for line in result["errors"][:5]:
        print("  worker log:", line)
    return result


# --- the report ----------------------------------------------------------------------------------


def fmt(seconds: float | None) -> str:
    if seconds is None:
        return "—"
    return f"{seconds:.3f}" if seconds < 10 else f"{seconds:.1f}"


def fmt_rate(rate: float | None) -> str:
    return "—" if rate is None else f"{rate:.0f}"


def workers_label(counts: list[int]) -> str:
    return " and ".join(map(str, counts)) + (" worker" if counts == [1] else " workers")


def row(r: dict[str, Any], n: int) -> str:
    cpu = sum(r["cpu_s"])
    cpu_ms = f"{cpu / r['sent'] * 1000:.1f}" if r["sent"] else "—"
    twice = r["attempts_twice"] + r["inbox_twice"]
    missing = r["deliveries"] - r["sent"]
    sent = f"{r['sent']}" + (f" ({missing} not sent)" if missing else "")
    goal = "—" if r["p99"] is None else ("✅ yes" if r["p99"] < GOAL_P99_S and not missing else "❌ no")
    passes = " + ".join(str(p) for p in r["passes"])
    return (
        f"| {r['workers']} | {sent} | {fmt(r['p50'])} | {fmt(r['p99'])} | {fmt(r['max'])} "
        f"| {r['over_goal']} ({r['over_goal'] / n:.1%}) | {fmt_rate(r['throughput'])} | {r['peak_second']} "
        f"| {fmt(r['tail_s'])} | {cpu_ms} | {r['machine_busy']:.0%} | {passes} | {twice} | {goal} |"
    )


def section(args: Any, dataset: dict[str, Any], runs: list[dict[str, Any]], meta: dict[str, Any]) -> str:
    n = dataset["pages"]
    code = datetime.fromtimestamp(meta["source_after"]).astimezone().strftime("%Y-%m-%d %H:%M:%S %Z")
    if meta["source_after"] != meta["source_before"]:
        code += " — ⚠ the code changed while the benchmark ran: figures may mix two versions"
    bulk = n - dataset["incidents"]
    jobs = next((r["jobs"] for r in runs if r["jobs"]), "")
    step_ms = args.window / n * 1000
    margins = ", ".join(f"{r['plan']['margin_s']:.1f}" for r in runs)
    notes = []
    for r in runs:
        label = f"{r['workers']} worker{'s' if r['workers'] > 1 else ''}"
        if not r["finished"]:
            notes.append(
                f"⚠ {label}: gave up {args.timeout:g} s after the first due time with "
                f"{r['deliveries'] - r['sent']} deliveries not sent; the lag figures cover the sent ones only."
            )
        if r["attempts_not_one"] or r["inbox_not_one"]:
            notes.append(
                f"⚠ {label}: {r['attempts_not_one']} deliveries without exactly one attempt "
                f"({r['attempts_twice']} with more), {r['inbox_not_one']} pages without exactly one inbox "
                f"message ({r['inbox_twice']} with more)."
            )
        if r["errors"] or r["killed"] or any(c != 0 for c in r["exit_codes"]):
            notes.append(
                f"⚠ {label}: {len(r['errors'])} ERROR lines in the worker logs, exit codes "
                f"{r['exit_codes']}, {r['killed']} killed after SIGTERM did not stop them."
            )
    met = [r["workers"] for r in runs if r["p99"] is not None and r["p99"] < GOAL_P99_S and r["finished"]]
    missed = [r["workers"] for r in runs if r["workers"] not in met]
    if met:
        notes.append(f"Goal p99 < {GOAL_P99_S:g} s met with {workers_label(met)}.")
    if missed:
        notes.append(f"Goal p99 < {GOAL_P99_S:g} s **not met** with {workers_label(missed)}.")
    cores = "; ".join(
        f"{r['workers']} worker{'s' if r['workers'] > 1 else ''}: workers {r['cores']['workers']:.2f}, "
        f"PostgreSQL {r['cores']['postgres']:.2f}, everything else {r['cores']['other']:.2f}"
        for r in runs
    )
    slices = "; ".join(
        f"{r['workers']} worker{'s' if r['workers'] > 1 else ''}: "
        + " · ".join(fmt(p) for p in r["slice_p99"])
        for r in runs
    )
    return "\n".join(
        [
            f"### {dataset['database']}",
            "",
            f"- Date: {meta['started']:%Y-%m-%d %H:%M %Z}; run took {meta['total_s']:.0f} s; load average "
            "(1/5/15 min) "
            + "; ".join(f"{r['load_before']} → {r['load_after']}" for r in runs)
            + " (per run)",
            f"- Machine: {machine()}; database {dataset['database']}; Django {dataset['django']}",
            f"- Code: newest file under mamori/, templates/, config/ modified {code}",
            f"- Dataset: {n:,} open pages, one queued `inbox` delivery each: {dataset['incidents']} reports filed "
            f"through `submit_report` (each pages the CSIRT管理者), and {bulk:,} more escalations with their "
            f"page and delivery made with `bulk_create`, spread over those incidents; built in "
            f"{dataset['build_s']:.0f} s; journal {dataset['journal_entries']} entries (`verify_chain` "
            f"{dataset['verify_s'] * 1000:.0f} ms). Each run starts from a fresh copy of it.",
            f"- Due stream: `next_attempt_at` spread evenly over {args.window:g} s (one every {step_ms:.1f} ms, "
            f"{n / args.window:.0f} a second), written once every worker had logged that it started, the "
            f"first due {args.start_in:g} s later (margin left after the write: {margins} s).",
            f"- Workers: `manage.py run_worker` with MAMORI_PAGE_CHANNELS=inbox, MAMORI_WORKER_IDLE_SECONDS="
            f"{args.idle:g}, MAMORI_CLAIM_LEASE_SECONDS={args.lease}; jobs as the worker logged them: "
            f"{', '.join(f'`{j.strip()}`' for j in jobs.split(',') if j.strip()) or '(not logged)'}. "
            "Every pass runs `advance_due` (nothing to do here: every deadline is 30 min away, but it "
            "queries), then `send_due` (claims up to 100 due deliveries, then sends them one after another); "
            "jobs with an interval run when it is up: `check_journal` (hourly) ran at each worker's first "
            "pass, before the first due time. A worker sleeps only after a pass that did nothing.",
            "",
            "| workers | sent | lag p50 s | p99 s | max s | lag > 1 s | throughput /s | peak /s "
            "| last sent after last due, s | worker CPU ms / delivery | machine CPU busy | passes "
            "| sent twice | p99 < 1 s |",
            "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|",
            *[row(r, n) for r in runs],
            "",
            "Lag = `sent_at − next_attempt_at` of each delivery; `deliver()` stamps `sent_at` just before the "
            "transport runs, so the inbox row and the attempt row follow within milliseconds. Throughput = "
            "deliveries sent ÷ (last `sent_at` − first due time): the stream offers "
            f"{n / args.window:.0f}/s, so a worker that keeps up shows about that; *peak* is the busiest "
            "second. Worker CPU counts from the schedule write to the last send (all workers together); "
            "machine CPU busy is of all cores over the same time (workers, database, this script and "
            "anything else running). "
            "*Sent twice*: deliveries with more than one `DeliveryAttempt` plus pages with more than one "
            "`InboxMessage`.",
            "",
            f"- p99 of the lag per {args.window / SLICES:.3g} s of due times, in order: {slices}.",
            f"- CPU while the stream ran, in cores (of {os.cpu_count()}): {cores}. *Everything else* is the "
            "machine's total minus the other two: this script and any other work on the machine (a high "
            "figure means the run was disturbed); PostgreSQL counts all its processes, also other clients'.",
            *[f"- {note}" for note in notes],
        ]
    )


def print_profile(path: Path) -> None:
    import pstats

    stats = pstats.Stats(str(path))
    stats.strip_dirs()
    for key in ("tottime", "cumulative"):
        print(f"\n--- worker 1 profile, top 30 by {key} ---")
        stats.sort_stats(key).print_stats(30)


# --- main ----------------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--pages", type=int, default=10000, help="N, open pages due in the window (10000)")
    parser.add_argument("--window", type=float, default=60, help="seconds over which they fall due (60)")
    parser.add_argument(
        "--start-in", type=float, default=5, help="seconds from the schedule to the first due (5)"
    )
    parser.add_argument(
        "--workers", help="worker counts to run, one fresh copy of the data each (SQLite 1, PostgreSQL 1,2)"
    )
    parser.add_argument("--idle", type=float, default=0.05, help="MAMORI_WORKER_IDLE_SECONDS (0.05)")
    parser.add_argument(
        "--lease", type=int, default=120, help="MAMORI_CLAIM_LEASE_SECONDS (120, the default)"
    )
    parser.add_argument(
        "--timeout", type=float, default=240, help="give up this many seconds after the first due time (240)"
    )
    database_options(parser)
    parser.add_argument(
        "--profile",
        type=Path,
        help="run worker 1 under cProfile, save its stats as PATH-w<workers>.prof, print the top (no write)",
    )
    parser.add_argument("--timeline", action="store_true", help="print how many were sent each second")
    args = parser.parse_args()
    counts = [int(c) for c in (args.workers or ("1,2" if args.database_url else "1")).split(",")]
    if args.pages < 100 or args.window <= 0 or min(counts) < 1:
        parser.error("give at least 100 pages, a positive window and at least one worker")

    started_at = datetime.now().astimezone()
    source_before = newest_source()
    t_start = time.monotonic()
    base = f"mamori_bench_{os.getpid()}_paging"
    runs = []
    with scratch(args.database_url, base, prefix="mamori-bench-paging-") as (work, base_url):
        env = child_env(work / "base", base_url)
        env.update(MAMORI_PAGE_CHANNELS="inbox")
        print(f"building {args.pages} pages …", flush=True)
        out = work / "dataset.json"
        dataset = child_json(
            "paging_dataset.py", "--pages", str(args.pages), env=env, out=out, timeout=BUILD_TIMEOUT
        )
        print(f"  built in {dataset['build_s']} s ({dataset['database']})", flush=True)
        for n in counts:
            fresh = scratch(args.database_url, f"{base}_w{n}", prefix="mamori-bench-paging-", template=base)
            with fresh as (data_dir, url):  # a copy of the data for this run only
                if url is None:
                    shutil.copytree(work / "base", data_dir, dirs_exist_ok=True)
                (work / f"w{n}").mkdir()
                run_env = {
                    **env,
                    "MAMORI_DATA_DIR": str(data_dir),
                    "MAMORI_WORKER_IDLE_SECONDS": str(args.idle),
                    "MAMORI_CLAIM_LEASE_SECONDS": str(args.lease),
                    "MAMORI_LOG_LEVEL": "INFO",  # "worker started" / "worker stopped after N passes"
                }
                if url:
                    run_env["DATABASE_URL"] = url

                def db_open(url=url, data_dir=data_dir) -> Database:
                    return Database(None if url else data_dir / "mamori.sqlite3", url)

                profile = args.profile.with_name(f"{args.profile.stem}-w{n}.prof") if args.profile else None
                runs.append(run(n, run_env, db_open, args, work, profile))
            if profile:
                print_profile(profile)
        meta = {
            "started": started_at,
            "total_s": time.monotonic() - t_start,
            "source_before": source_before,
            "source_after": newest_source(),
        }
        body = section(args, dataset, runs, meta)
    print(body)
    if args.profile:
        print("\n(profiled run: cProfile slows worker 1 down, so nothing was written to docs/)")
        return
    if not args.no_write:
        write_doc("paging_lag", "postgresql" if args.database_url else "sqlite", body, title=TITLE)
        print(f"written to {DOC.relative_to(ROOT)}")


if __name__ == "__main__":
    main()

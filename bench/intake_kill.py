"""Burst intake with gunicorn killed midway: is any acknowledged report lost, or filed twice?

    .venv/bin/python bench/intake_kill.py [--reports N] [--concurrency C] [--kill-after K]
        [--drop-answers D] [--budget S] [--database-url postgres://…] [--no-write]

Sets up a fresh data dir (SQLite, or a throwaway PostgreSQL database created and dropped here) with
the komae preset, one person per role and a staff member whose API token has the ``reports:write``
scope, as a mail gateway or a SIEM would hold. Starts gunicorn as docs/operations.md does (4 sync
workers) and posts N reports to ``POST /api/v1/reports`` from C threads, one connection per request,
each report with its own ``message_id``. Once K reports are acknowledged it SIGKILLs gunicorn (master
and workers at once), starts it again on the same port, and the clients go on as an integration
would: a request that got no answer (connection error) or a 5xx is sent again with the same
message_id, after a short backoff, until it is answered. A report filed before the kill whose answer
was lost comes back as HTTP 200 ``duplicate: true``. A kill rarely falls between a commit and its
answer, so for a few reports (--drop-answers, 20) the client also closes the connection as soon as the
request is sent, as a gateway whose timeout ran out: the retry, racing the first request, must be
told the same report (200 duplicate, or 201 if it overtook the first), never open a second one.

After gunicorn is stopped it reads the database directly (sqlite3 / psycopg) and proves: every
acknowledged report exists with exactly the reference and incident the client was told; every
message_id is stored once; exactly N reports and N incidents; the fiscal year's references are 1..N
without gap or repeat; one ``report.received`` and one ``incident.opened`` journal entry per report;
``manage.py verify_journal`` passes. Any failure (or the time budget running out) exits non-zero.
The figures go to docs/performance.md, in the section of this database (see bench/README.md).
"""

import argparse
import http.client
import importlib.metadata
import json
import os
import random
import sqlite3
import subprocess
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from common import (
    BENCH,
    DOC,
    ROOT,
    Gunicorn,
    child_env,
    database_options,
    load_average,
    machine,
    machine_busy,
    manage,
    newest_source,
    processes,
    scratch,
    stored_moment,
    write_doc,
)

WORKERS = 4  # as docs/operations.md starts the web server
REQUEST_TIMEOUT = 30  # seconds a client waits for one answer before it counts as lost
BACKOFF_FIRST, BACKOFF_MAX = 0.05, 1.0  # seconds; doubled after each failure of the same report
SLICE_S = 10  # seconds per slice of the acknowledged-over-time line
TITLE = "burst intake, gunicorn killed midway"

KINDS = """不審なメールの添付ファイルを開いた
USBメモリを紛失した
Webサイトの表示が改ざんされている
ファイルサーバーに接続できない
身代金を要求する画面が表示された
個人情報を含む書類を誤ってFAX送信した
パスワードが漏えいした可能性がある
委託先から情報漏えいの連絡があった""".splitlines()
PLACES = """本庁舎3階 総務課
本庁舎1階 市民課窓口
第二庁舎 税務課
教育委員会 学校教育課
保健センター""".splitlines()
DETAILS = """発見した職員が所属長に連絡した。
端末はネットワークから切り離した。
端末はまだネットワークにつながっている。
住民からの問い合わせで判明した。""".splitlines()
SOURCES = ["メールゲートウェイ", "SIEM", "EDR", "UTM"]


# --- the client ----------------------------------------------------------------------------------


@dataclass
class Attempt:
    started: float
    ended: float
    status: int | None  # None: no answer (refused, reset, timed out, not awaited)
    error: str = ""


@dataclass
class Sent:
    """One report as the client knows it: every attempt, and the answer it finally got."""

    index: int
    message_id: str
    attempts: list[Attempt] = field(default_factory=list)
    status: int | None = None
    reference: str = ""
    incident_id: int | None = None
    duplicate: bool = False
    problem: str = ""  # an answer the client cannot accept, or none within the budget
    dropped: bool = False  # the client does not wait for the first answer (its timeout ran out)


def payload(index: int, message_id: str, rng: random.Random) -> bytes:
    found = datetime.now(UTC) - timedelta(minutes=rng.randint(1, 600))
    description = (
        f"{KINDS[index % len(KINDS)]}（{rng.choice(SOURCES)}からの通報 {index + 1}件目）\n"
        f"{rng.choice(DETAILS)}{rng.choice(DETAILS)}対象端末: PC-{rng.randint(1000, 9999)}"
    )
    body = {"description": description, "discovered_at": found.isoformat(), "message_id": message_id}
    body.update(location=rng.choice(PLACES), affected_systems=f"PC-{rng.randint(1000, 9999)}")
    return json.dumps(body, ensure_ascii=False).encode()


class Burst:
    """C threads posting N reports as fast as the server takes them; retries keep the message_id."""

    def __init__(self, args: Any, port: int, token: str, deadline: float, run_id: str):
        self.port, self.token, self.deadline = port, token, deadline
        self.kill_after, n, k = args.kill_after, args.reports, args.drop_answers
        self.sent = [Sent(i, f"<{run_id}.{i:05d}@gateway.komae.example>") for i in range(n)]
        for i in range(n // (2 * k), n, n // k) if k else ():
            self.sent[i].dropped = True  # spread over the run, before and after the kill
        self.lock, self.kill_point = threading.Lock(), threading.Event()
        self.next = self.answered = self.in_flight = 0
        self.first_send, self.out_of_time = 0.0, False

    def client(self, k: int) -> None:
        rng = random.Random(k)
        while True:
            with self.lock:
                if self.next >= len(self.sent) or time.monotonic() > self.deadline:
                    self.out_of_time |= self.next < len(self.sent)
                    return
                report = self.sent[self.next]
                self.next += 1
            self.deliver(report, rng)

    def deliver(self, report: Sent, rng: random.Random) -> None:
        body = payload(report.index, report.message_id, rng)
        wait = BACKOFF_FIRST
        while True:
            if time.monotonic() > self.deadline:
                report.problem, self.out_of_time = "no answer within the time budget", True
                return
            attempt, answer = self.post(body, drop=report.dropped and not report.attempts)
            report.attempts.append(attempt)
            if attempt.status in (200, 201):
                self.accept(report, attempt.status, answer)
                return
            if attempt.status is not None and attempt.status < 500 and attempt.status != 429:
                report.problem = f"HTTP {attempt.status}: {answer[:200].decode(errors='replace')}"
                return
            time.sleep(wait * rng.uniform(0.5, 1.0))  # jitter: the retries of 16 clients don't march
            wait = min(BACKOFF_MAX, wait * 2)

    def post(self, body: bytes, drop: bool = False) -> tuple[Attempt, bytes]:
        headers = {"Authorization": f"Bearer {self.token}", "Content-Type": "application/json"}
        with self.lock:
            self.in_flight += 1
        started = time.monotonic()
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=REQUEST_TIMEOUT)
        try:
            conn.request("POST", "/api/v1/reports", body=body, headers=headers)
            if drop:  # the request is sent whole; the server files it, and answers nobody
                return Attempt(started, time.monotonic(), None, "answer not awaited"), b""
            response = conn.getresponse()
            answer = response.read()
            return Attempt(started, time.monotonic(), response.status), answer
        except (OSError, http.client.HTTPException) as error:
            return Attempt(started, time.monotonic(), None, type(error).__name__), b""
        finally:
            conn.close()
            with self.lock:
                self.in_flight -= 1

    def accept(self, report: Sent, status: int, answer: bytes) -> None:
        data = json.loads(answer)
        report.status, report.reference = status, data["reference"]
        report.incident_id, report.duplicate = data["incident_id"], data["duplicate"]
        if report.duplicate != (status == 200):
            report.problem = f"HTTP {status} with duplicate={report.duplicate}"
        with self.lock:
            self.answered += 1
            if self.answered >= self.kill_after:
                self.kill_point.set()


class CpuWatch:
    """Who used the machine's CPU during the burst: gunicorn (both of them), PostgreSQL (all its
    processes, other clients' too), this client, and the rest: other work on the machine."""

    def __init__(self) -> None:
        self.started, self.busy, self.first = time.monotonic(), machine_busy()[0], processes()
        self.last, self.servers = dict(self.first), set()

    def sample(self, server: Gunicorn) -> None:
        self.servers.add(server.process.pid if server.process else 0)  # a session: group = master
        self.last.update(processes())

    def cores(self) -> dict[str, float]:
        wall = time.monotonic() - self.started
        used = dict.fromkeys(("gunicorn", "postgres", "client"), 0.0)
        for pid, (comm, group, cpu) in self.last.items():
            mine = "client" if pid == os.getpid() else "gunicorn" if group in self.servers else None
            key = mine or ("postgres" if comm == "postgres" else None)
            before = self.first.get(pid)
            if key:
                used[key] += (cpu - (before[2] if before and before[0] == comm else 0)) / wall
        machine = (machine_busy()[0] - self.busy) / os.sysconf("SC_CLK_TCK") / wall
        return {**used, "machine": machine, "rest": machine - sum(used.values())}


# --- the database, read from outside -------------------------------------------------------------


def connect(data_dir: Path, url: str | None) -> tuple[Any, str]:
    """A plain connection (sqlite3 or psycopg) to the run's database, and its version: no Django here."""
    if url is None:
        return sqlite3.connect(data_dir / "mamori.sqlite3", timeout=20), f"SQLite {sqlite3.sqlite_version}"
    import psycopg

    conn = psycopg.connect(url, autocommit=True)
    return conn, f"PostgreSQL {conn.execute('SHOW server_version').fetchone()[0].split()[0]}"


REPORTS_SQL = "SELECT id, reference, incident_id, message_id, received_at FROM intake_report"


def gaps_and_repeats(name: str, references: list[str]) -> list[str]:
    """[] if the numbers are 1..len(references), else what is wrong with them."""
    numbers = sorted(int(r.rsplit("-", 1)[1]) for r in references)
    if numbers == list(range(1, len(numbers) + 1)):
        return []
    gaps = set(range(1, (numbers[-1] if numbers else 0) + 1)) - set(numbers)
    return [f"{name}: {len(gaps)} gaps, {len(numbers) - len(set(numbers))} repeats"]


def check(db: Any, burst: Burst, n: int, user_pk: int, killed_at: datetime | None) -> dict[str, Any]:
    """Every verdict, each (ok, what was found), from the rows as they are after the run."""
    prefix = f"api:{user_pk}:"  # how the API stores a sender's message_id (mamori/intake/api.py)
    reports = list(db.execute(REPORTS_SQL))
    incidents = {
        i: (r, y) for i, r, y in db.execute("SELECT id, reference, fiscal_year FROM incidents_incident")
    }
    stored: dict[str, list[tuple]] = {}
    for row in reports:
        stored.setdefault(row[3], []).append(row)
    answered = [s for s in burst.sent if s.status in (200, 201)]
    verdicts: dict[str, tuple[bool, str]] = {}

    missing = [s.message_id for s in answered if prefix + s.message_id not in stored]
    wrong = [
        f"{s.message_id} told {s.reference} / incident {s.incident_id}, stored {row[1]} / {row[2]}"
        for s in answered
        for row in stored.get(prefix + s.message_id, [])[:1]
        if (row[1], row[2]) != (s.reference, s.incident_id)
    ]
    verdicts["every acknowledged report exists, with the reference and incident the client was told"] = (
        not missing and not wrong,
        f"{len(answered)} acknowledged, {len(missing)} missing, {len(wrong)} differ"
        + "".join(f"; {x}" for x in missing[:3] + wrong[:3]),
    )

    twice = [m for m, rows in stored.items() if len(rows) > 1]
    foreign = set(stored) - {prefix + s.message_id for s in burst.sent}
    verdicts["every message_id stored once (nothing filed twice)"] = (
        not twice and not foreign,
        f"{len(stored)} message_ids in {len(reports)} reports, {len(twice)} stored more than once"
        f"{' ' + str(twice[:3]) if twice else ''}, {len(foreign)} not sent by this bench",
    )

    unanswered = len([s for s in burst.sent if s.status is None and prefix + s.message_id in stored])
    verdicts[f"exactly {n} reports and {n} incidents"] = (
        len(reports) == n and len(incidents) == n,
        f"{len(reports)} reports, {len(incidents)} incidents"
        + (f" ({unanswered} filed whose answer never came)" if unanswered else ""),
    )

    problems = gaps_and_repeats("reports", [r[1] for r in reports])
    problems += gaps_and_repeats("incidents", [r for r, _ in incidents.values()])
    counters = db.execute("SELECT fiscal_year, last_number FROM incidents_referencecounter").fetchall()
    if counters != [(fy, len(incidents)) for fy in {fy for _, fy in incidents.values()}]:
        problems.append(f"counters {counters} for {len(incidents)} incidents (a run across 1 April?)")
    if split := [r[1] for r in reports if incidents.get(r[2], ("",))[0] != r[1]]:
        problems.append(f"{len(split)} reports whose incident has another reference, e.g. {split[0]}")
    verdicts["references of the fiscal year 1..N, no gap, no repeat"] = (
        not problems,
        "; ".join(problems) or f"1..{len(reports)} for reports and incidents alike, and the counter",
    )

    entries = db.execute(
        "SELECT action, object_id, COUNT(*) FROM journal_journalentry WHERE "
        "(action = 'report.received' AND object_type = 'intake.report') OR "
        "(action = 'incident.opened' AND object_type = 'incidents.incident') GROUP BY action, object_id"
    ).fetchall()
    objects = {"report.received": {str(r[0]) for r in reports}, "incident.opened": set(map(str, incidents))}
    bad = []
    for action, ids in objects.items():
        counts = {o: c for a, o, c in entries if a == action}
        if set(counts) != ids or any(c != 1 for c in counts.values()):
            bad.append(
                f"{action}: {len(ids - set(counts))} missing, {len(set(counts) - ids)} for unknown rows, "
                f"{len([c for c in counts.values() if c > 1])} repeated"
            )
    verdicts["one report.received and one incident.opened journal entry per report"] = (
        not bad,
        "; ".join(bad) or f"{sum(c for _, _, c in entries)} entries for {len(reports)} reports",
    )

    duplicates = [s for s in answered if s.duplicate]
    first_try = [s.message_id for s in duplicates if len(s.attempts) < 2]
    by_kill = [s for s in duplicates if not s.dropped]
    before = len(
        [s for s in by_kill if killed_at and stored_moment(stored[prefix + s.message_id][0][4]) < killed_at]
    )
    dropped = len([s for s in answered if s.dropped])
    verdicts["a duplicate answer only after an attempt that got no answer"] = (
        not first_try,
        f"{len(by_kill)} after the kill ({before} filed before it); {len(duplicates) - len(by_kill)} of "
        f"{dropped} answers not awaited, {dropped + len(by_kill) - len(duplicates)} answered 201 on the "
        f"retry (it overtook the first request); {len(first_try)} on a first attempt",
    )
    failed = [s for s in burst.sent if s.status not in (200, 201) or s.problem]
    verdicts["every report answered 201, or 200 duplicate"] = (
        not failed,
        f"{len(burst.sent) - len(failed)} of {len(burst.sent)}"
        + (f"; {failed[0].message_id}: {failed[0].problem or 'never sent'}" if failed else ""),
    )
    return {"verdicts": verdicts, "before_kill": before}


# --- figures -------------------------------------------------------------------------------------


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(p / 100 * len(ordered) + 0.5) - 1))] if ordered else 0.0


def figures(burst: Burst, kill: dict[str, Any]) -> dict[str, Any]:
    answered = [s for s in burst.sent if s.status in (200, 201)]
    attempts = [a for s in burst.sent for a in s.attempts]
    retried = [s for s in burst.sent if len(s.attempts) > 1]
    t_kill = kill.get("at", float("inf"))
    back = min((a.ended for a in attempts if a.status is not None and a.ended > t_kill), default=None)
    ends = sorted(s.attempts[-1].ended for s in answered)
    last = [s.attempts[-1] for s in answered]
    latency = [(a.ended - a.started) * 1000 for a in last]
    calm = [(a.ended - a.started) * 1000 for a in last if a.ended < t_kill or (back and a.started >= back)]
    failed = [a for s in burst.sent for a in (s.attempts[:-1] if s.status else s.attempts)]
    per_slice = Counter(int((e - burst.first_send) // SLICE_S) for e in ends)
    out: dict[str, Any] = {
        "answered": len(answered),
        "created": len([s for s in answered if s.status == 201]),
        "duplicates": len([s for s in answered if s.duplicate]),
        "dropped": len([s for s in answered if s.dropped]),
        "dropped_dup": len([s for s in answered if s.dropped and s.duplicate]),
        "slices": [per_slice[k] for k in range(max(per_slice, default=-1) + 1)],
        **{f"p{p}": percentile(latency, p) for p in (50, 95, 99)},
        **{f"q{p}": percentile(calm, p) for p in (50, 95, 99)},
        "burst_s": (ends[-1] - burst.first_send) if ends else 0.0,
        "retries": sum(len(s.attempts) - 1 for s in retried),
        "retried": len(retried),
        "causes": Counter(a.error or f"HTTP {a.status}" for a in failed),
        "longest_retried": max((s.attempts[-1].ended - s.attempts[0].started for s in retried), default=0.0),
    }
    if "at" not in kill:
        return out
    after = [e for e in ends if back is not None and e >= back]
    out.update(
        rate_before=len([e for e in ends if e <= t_kill]) / (t_kill - burst.first_send),
        rate_after=(len(after) - 1) / (after[-1] - back) if back is not None and len(after) > 1 else 0.0,
        in_flight=kill["in_flight"],
        lost=len([a for a in attempts if a.started <= t_kill < a.ended and a.status is None]),
        back_s=(back - t_kill) if back is not None else None,
        kill_slice=int((t_kill - burst.first_send) // SLICE_S) + 1,
    )
    return out


def section(args: Any, run: dict[str, Any], f: dict[str, Any], verdicts: dict[str, tuple[bool, str]]) -> str:
    kill, dash, cores, url = run["kill"], "–", run["kill"]["cores"], args.database_url
    sync = os.environ.get("MAMORI_SQLITE_SYNCHRONOUS", "NORMAL (default)")
    code = datetime.fromtimestamp(run["source_after"]).astimezone().strftime("%Y-%m-%d %H:%M:%S %Z")
    if run["source_after"] != run["source_before"]:
        code += " — ⚠ the code changed while the benchmark ran: figures may mix two versions"
    causes = ", ".join(f"{c} {k}" for c, k in f["causes"].most_common()) or "none"
    back = f"{kill['restart_s']:.1f}" if "restart_s" in kill else dash
    back += f" / {f['back_s']:.1f}" if f.get("back_s") is not None else f" / {dash}"
    row = (
        f"{f['answered']} ({f['created']} + {f['duplicates']}) | {f.get('rate_before', 0):.0f} | "
        f"{f.get('rate_after', 0):.0f} | {f['p50']:.0f} / {f['p95']:.0f} / {f['p99']:.0f} | "
        f"{f['q50']:.0f} / {f['q95']:.0f} / {f['q99']:.0f} | {f.get('in_flight', dash)} ({f.get('lost', dash)}) | "
        f"{back} | {f['retries']} ({f['retried']}) | {f['duplicates'] - f['dropped_dup']} "
        f"({run['checked']['before_kill']}) / {f['dropped_dup']} of {f['dropped']} | {run['total_s']:.0f}"
    )
    db_cpu = f"PostgreSQL {cores['postgres']:.2f}, " if run["database"].startswith("Postgre") else ""
    passed = all(ok for ok, _ in verdicts.values())
    return "\n".join(
        [
            f"### {run['database']}",
            "",
            f"- Date: {run['started']:%Y-%m-%d %H:%M %Z}; run took {run['total_s']:.0f} s (setup "
            f"{run['setup_s']:.0f} s, burst {f['burst_s']:.0f} s, checks {run['check_s']:.0f} s); load average "
            f"(1/5/15 min) {run['load_before']} before, {run['load_after']} after the burst",
            f"- Machine: {machine()}; database {run['database']}; Django {importlib.metadata.version('django')}",
            f"- Code: newest file under mamori/, templates/, config/ modified {code}",
            f"- Server: gunicorn, {WORKERS} sync workers, `--timeout 120`, on 127.0.0.1; "
            f"MAMORI_API_CALLS_PER_MINUTE={args.calls_per_minute} (the per-token limit, default 600, raised "
            f"as a site would for its gateway's token){'' if url else '; MAMORI_SQLITE_SYNCHRONOUS=' + sync}",
            f"- Client: N = {args.reports} reports (each its own `message_id`, varied Japanese text), "
            f"{args.concurrency} threads, `http.client`, one connection per request, {REQUEST_TIMEOUT} s "
            f"timeout; no answer or a 5xx/429 → the same body again after {BACKOFF_FIRST * 1000:.0f} ms, "
            f"doubling up to {BACKOFF_MAX:.0f} s (jittered). SIGKILL of gunicorn's master and workers after "
            f"{args.kill_after} acknowledged reports, started again at once on the same port; budget "
            f"{args.budget} s",
            f"- CPU during the burst, in cores (of {os.cpu_count()}): gunicorn {cores['gunicorn']:.2f}, {db_cpu}"
            f"this client {cores['client']:.2f}, everything else {cores['rest']:.2f} (other work on the "
            "machine: a high figure means the run was disturbed)",
            "",
            "| acknowledged (201 + 200 dup.) | reports/s before kill | after restart | latency ms p50 / p95 / p99 "
            "| same, outside the outage | in flight at kill (answer lost) | back after s (/healthz / POST) "
            "| retries (reports) | 200 duplicates: kill (filed before it) / answer not awaited | total s |",
            "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
            f"| {row} |",
            "",
            "Rates: acknowledged reports per second, from the first post to the kill and from the first answer "
            "after the kill to the last. Latency: of the attempt that got the answer (waiting in the listen "
            "backlog included); *outside the outage* leaves out the attempts that began before the server "
            "answered again after the kill. *In flight*: requests sent and not answered at the kill (at most "
            f"{WORKERS} inside a worker, the rest in the listen backlog). Longest wait of a retried report: "
            f"{f['longest_retried']:.1f} s. Why retried: {causes}. *Answer not awaited*: for "
            f"{args.drop_answers} reports spread over the run the client closes the connection once the request "
            "is sent, as a gateway whose timeout ran out; its retry races the first request. Acknowledged per "
            f"{SLICE_S} s: {' · '.join(map(str, f['slices']))} (the kill in slice {f.get('kill_slice', dash)}).",
            "",
            "Checked afterwards in the database, gunicorn stopped:",
            "",
            *[f"- {'✅' if ok else '❌'} {name}: {detail}" for name, (ok, detail) in verdicts.items()],
            "",
            f"Verdict: {'✅ no acknowledged report lost, none filed twice' if passed else '❌ FAILED'}.",
        ]
    )


# --- main ----------------------------------------------------------------------------------------


def setup(env: dict[str, str]) -> tuple[int, str]:
    """The komae preset, its people and the gateway's token, each by a manage.py child."""
    manage(env, "migrate", "--verbosity", "0")
    manage(env, "load_policy", "--preset", "komae")
    # One person per komae role (each report pages the CSIRT管理者) and the token's owner, a staff member.
    # bench/dataset.py imported by bare name, as the scripts do: bench/ on this child's path only.
    with_bench = {**env, "PYTHONPATH": os.pathsep.join((str(ROOT), str(BENCH)))}
    people = "from dataset import make_people; print(make_people()['staff'].pk)"
    user_pk = int(manage(with_bench, "shell", "--no-imports", "-c", people).strip())
    token_args = ["create_api_token", "komae-staff", "--scope", "reports:write", "--days", "1", "--name"]
    return user_pk, manage(env, *token_args, "mail gateway (bench)").strip()


def run_burst(args: Any, server: Gunicorn, token: str, deadline: float) -> tuple[Burst, dict[str, Any]]:
    burst = Burst(args, server.port, token, deadline, f"bench{os.getpid()}")
    watch = CpuWatch()
    threads = [threading.Thread(target=burst.client, args=(k,), daemon=True) for k in range(args.concurrency)]
    burst.first_send = time.monotonic()
    for thread in threads:
        thread.start()
    kill: dict[str, Any] = {}
    while any(t.is_alive() for t in threads) and time.monotonic() < deadline + REQUEST_TIMEOUT + 5:
        watch.sample(server)
        if "at" in kill or not burst.kill_point.wait(0.5):
            time.sleep(0.5 if "at" in kill else 0)
            continue
        with burst.lock:
            kill["in_flight"] = burst.in_flight
        watch.sample(server)
        kill["at"], kill["wall"] = time.monotonic(), datetime.now(UTC)
        server.kill()
        print(f"killed gunicorn with {kill['in_flight']} requests in flight; restarting …", flush=True)
        try:
            server.start()
            kill["restart_s"] = time.monotonic() - kill["at"]
        except SystemExit as error:
            burst.deadline = 0  # the clients give up; the checks say what was lost
            kill["restart_error"] = str(error)
    watch.sample(server)
    kill["cores"] = watch.cores()
    return burst, kill


def verify(args: Any, env: dict[str, str], db: Any, burst: Burst, run: dict[str, Any]) -> dict[str, Any]:
    checked = check(db, burst, args.reports, int(run["user_pk"]), run["kill"].get("wall"))
    verdicts = checked["verdicts"]  # and what only the whole run can tell:
    try:
        verdicts["manage.py verify_journal passes"] = (True, manage(env, "verify_journal").strip())
    except subprocess.CalledProcessError as error:
        verdicts["manage.py verify_journal passes"] = (False, (error.stderr or error.stdout).strip()[-300:])
    if "at" not in run["kill"] or "restart_error" in run["kill"]:
        why = run["kill"].get("restart_error", f"only {burst.answered} answers before the budget ran out")
        verdicts["gunicorn was killed and came back"] = (False, why[-300:])
    if burst.out_of_time:
        verdicts[f"all answered within the budget of {args.budget} s"] = (False, f"{burst.answered} answered")
    return checked


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--reports", type=int, default=5000, help="N, reports to post (5000)")
    parser.add_argument("--concurrency", type=int, default=16, help="client threads (16)")
    parser.add_argument("--kill-after", type=int, help="SIGKILL gunicorn after this many answers (N/2)")
    parser.add_argument("--drop-answers", type=int, default=20, help="first answers not awaited (20)")
    parser.add_argument("--budget", type=int, default=300, help="seconds for the whole run (300)")
    parser.add_argument("--calls-per-minute", type=int, default=60000, help="MAMORI_API_CALLS_PER_MINUTE")
    database_options(parser)
    args = parser.parse_args()
    args.kill_after = args.reports // 2 if args.kill_after is None else args.kill_after
    if args.reports < 2 or not 1 <= args.kill_after < args.reports or args.concurrency < 1:
        parser.error("give at least 2 reports, 1 ≤ --kill-after < --reports and 1 thread or more")
    if not 0 <= args.drop_answers <= args.reports // 2:
        parser.error("--drop-answers must be between 0 and half the reports")

    run: dict[str, Any] = {"started": datetime.now().astimezone(), "source_before": newest_source()}
    t_start = time.monotonic()
    database = f"mamori_bench_{os.getpid()}_kill"
    with scratch(args.database_url, database, prefix="mamori-bench-kill-") as (work, url):
        env = child_env(work / "data", url, MAMORI_API_CALLS_PER_MINUTE=str(args.calls_per_minute))
        print("setting up (migrate, komae, people, token) …", flush=True)
        try:
            run["user_pk"], token = setup(env)
        except subprocess.CalledProcessError as error:
            raise SystemExit(f"setup failed: {error.cmd[2:]}\n{error.stderr}") from None
        run["setup_s"] = time.monotonic() - t_start
        server = Gunicorn(env, work / "gunicorn.log", workers=WORKERS)
        try:
            server.start()
            run["load_before"] = load_average()
            print(
                f"posting {args.reports} reports, {args.concurrency} threads, port {server.port} …",
                flush=True,
            )
            burst, run["kill"] = run_burst(args, server, token, t_start + args.budget)
            run["load_after"] = load_average()
        finally:
            server.stop()
        log_tail = server.tail()
        t_check = time.monotonic()
        db, run["database"] = connect(work / "data", url)
        try:
            run["checked"] = verify(args, env, db, burst, run)
        finally:
            db.close()
        run["check_s"], run["total_s"] = time.monotonic() - t_check, time.monotonic() - t_start
        run["source_after"] = newest_source()
        verdicts = run["checked"]["verdicts"]
        body = section(args, run, figures(burst, run["kill"]), verdicts)
    print(body)
    if not args.no_write:
        write_doc("intake_kill", "postgresql" if args.database_url else "sqlite", body, title=TITLE)
        print(f"written to {DOC.relative_to(ROOT)}")
    if not all(ok for ok, _ in verdicts.values()):
        print("gunicorn log (last lines):", log_tail, sep="\n")
        raise SystemExit(1)


if __name__ == "__main__":
    main()

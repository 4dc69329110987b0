"""How fast are the incident list pages with many incidents? Measured against the /healthz floor.

    .venv/bin/python bench/list_pages.py [--incidents N] [--requests R] [--database-url URL]

Builds a fresh dataset in a temporary data dir (SQLite, or a throwaway PostgreSQL database created
and dropped here) through the service functions (bench/dataset.py), starts gunicorn on 127.0.0.1
with two workers, and times R sequential requests per page, round-robin across the pages so that
the machine's noise falls on all of them alike. Query counts come from a second, smaller dataset
(--small, default 200) and the full one, each page run in-process with CaptureQueriesContext.
The figures go to docs/performance.md, in the section of this database (see bench/README.md).
"""

import argparse
import contextlib
import http.client
import json
import os
import platform
import secrets
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
BENCH = Path(__file__).resolve().parent
VENV_BIN = Path(sys.executable).parent
DOC = ROOT / "docs" / "performance.md"
GENERATE_TIMEOUT = 300
MEASURE_BUDGET = 150  # seconds of timed requests at most; the report says if it stopped early
HEADER = """# Performance

Figures written by the benchmarks in `bench/` (how to run them: `bench/README.md`). Every latency
is quoted with its ratio to the `/healthz` median of the same run: these machines are noisy (2 cores),
so the ratio says more than the milliseconds. Sections between `<!-- bench:… -->` markers are
rewritten by the benchmark on each run; the rest is written by hand.
"""


# --- databases -----------------------------------------------------------------------------------


def is_postgres(url: str | None) -> bool:
    return bool(url) and urlsplit(url or "").scheme in ("postgres", "postgresql", "pgsql")


def with_database(url: str, name: str) -> str:
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, "/" + name, parts.query, parts.fragment))


def create_database(admin_url: str, name: str) -> None:
    import psycopg

    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')


def drop_database(admin_url: str, name: str) -> None:
    import psycopg

    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


# --- child processes -----------------------------------------------------------------------------


def child_env(data_dir: Path, database_url: str | None) -> dict[str, str]:
    env = dict(os.environ)
    env.pop("DATABASE_URL", None)
    env.pop("MAMORI_PUBLIC_ONLY", None)
    env.update(
        DJANGO_SETTINGS_MODULE="config.settings",
        MAMORI_DATA_DIR=str(data_dir),
        MAMORI_SECRET_KEY=secrets.token_urlsafe(40),
        MAMORI_ALLOWED_HOSTS="127.0.0.1,localhost,testserver",
        MAMORI_DEBUG="false",
        MAMORI_LOG_LEVEL="WARNING",
        PYTHONPATH=str(ROOT),
    )
    if database_url:
        env["DATABASE_URL"] = database_url
    return env


def build_dataset(n: int, env: dict[str, str], work: Path) -> dict[str, Any]:
    out = work / f"dataset-{n}.json"
    subprocess.run(
        [sys.executable, str(BENCH / "dataset.py"), "--incidents", str(n), "--out", str(out)],
        cwd=ROOT,
        env=env,
        check=True,
        timeout=GENERATE_TIMEOUT,
    )
    return json.loads(out.read_text(encoding="utf-8"))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def get(port: int, path: str, headers: dict[str, str]) -> tuple[int, float, int]:
    """One request on a fresh connection (gunicorn's sync workers close after each response)."""
    t0 = time.perf_counter()
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        conn.request("GET", path, headers=headers)
        response = conn.getresponse()
        body = response.read()
    finally:
        conn.close()
    return response.status, time.perf_counter() - t0, len(body)


def start_gunicorn(env: dict[str, str], port: int, log: Path) -> subprocess.Popen:
    with log.open("wb") as out:
        return subprocess.Popen(
            [str(VENV_BIN / "gunicorn"), "config.wsgi", "-b", f"127.0.0.1:{port}", "-w", "2"],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )


def wait_healthy(server: subprocess.Popen, port: int, log: Path, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit(f"gunicorn exited ({server.returncode}):\n{log.read_text(errors='replace')}")
        with contextlib.suppress(OSError):
            if get(port, "/healthz", {})[0] == 200:
                return
        time.sleep(0.2)
    raise SystemExit(f"gunicorn did not answer /healthz within {timeout}s")


def stop(server: subprocess.Popen) -> None:
    if server.poll() is None:
        server.send_signal(signal.SIGTERM)  # the master stops its workers
        try:
            server.wait(timeout=15)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


# --- measuring -----------------------------------------------------------------------------------


def measure(port: int, dataset: dict[str, Any], requests: int, warmup: int) -> dict[str, Any]:
    cookie = {"Cookie": f"sessionid={dataset['session_key']}"}
    bearer = {"Authorization": f"Bearer {dataset['token']}"}
    targets = []
    for name, path in dataset["paths"].items():
        headers = {} if path == "/healthz" else bearer if path.startswith("/api/") else cookie
        targets.append((name, path, headers))
    times: dict[str, list[float]] = {name: [] for name, _, _ in targets}
    sizes: dict[str, int] = {}
    for _ in range(warmup):
        for name, path, headers in targets:
            status, _, size = get(port, path, headers)
            if status != 200:
                raise SystemExit(f"{path}: HTTP {status} (expected 200; is the session or token valid?)")
            sizes[name] = size
    started = time.monotonic()
    done = 0
    for _ in range(requests):
        if time.monotonic() - started > MEASURE_BUDGET:
            break
        for name, path, headers in targets:
            status, seconds, _ = get(port, path, headers)
            if status != 200:
                raise SystemExit(f"{path}: HTTP {status}")
            times[name].append(seconds)
        done += 1
    return {"times": times, "sizes": sizes, "done": done, "seconds": round(time.monotonic() - started, 1)}


def summarise(times: list[float]) -> tuple[float, float]:
    ordered = sorted(times)
    median = statistics.median(ordered)
    p90 = ordered[min(len(ordered) - 1, int(round(0.9 * (len(ordered) - 1))))]
    return median * 1000, p90 * 1000


# --- the report ----------------------------------------------------------------------------------


def newest_source() -> float:
    """Modification time of the newest app source or template: which code was measured."""
    newest = 0.0
    for folder in ("mamori", "templates", "config"):
        for path in (ROOT / folder).rglob("*"):
            if path.suffix in (".py", ".html") and "migrations" not in path.parts:
                newest = max(newest, path.stat().st_mtime)
    return newest


def load() -> str:
    return "/".join(f"{x:.2f}" for x in os.getloadavg())


def machine() -> str:
    model = ""
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return f"nproc {cores}{f' ({model})' if model else ''}, Python {platform.python_version()}"


def section(args: Any, big: dict, small: dict, run: dict, started: datetime) -> str:
    floor = summarise(run["times"]["/healthz"])[0]
    rows = []
    slowest = ("", 0.0)
    for name in big["paths"]:
        median, p90 = summarise(run["times"][name])
        ratio = median / floor
        if name != "/healthz" and ratio > slowest[1]:
            slowest = (name, ratio)
        qs, qb = small["queries"][name], big["queries"][name]
        grow = "" if qs["queries"] == qb["queries"] else " ⚠"
        rows.append(
            f"| `{name}` | {median:.1f} | {p90:.1f} | {ratio:.1f}× | {qs['queries']} → {qb['queries']}{grow} "
            f"| {qs['sql_ms']:.1f} → {qb['sql_ms']:.1f} | {qs['inprocess_ms']:.1f} → {qb['inprocess_ms']:.1f} "
            f"| {qs['bytes'] / 1024:.0f} → {qb['bytes'] / 1024:.0f} |"
        )
    grown = [n for n in big["paths"] if small["queries"][n]["queries"] != big["queries"][n]["queries"]]
    bigger = [
        n for n in big["paths"] if big["queries"][n]["bytes"] > 3 * max(1, small["queries"][n]["bytes"])
    ]
    c = big["counts"]
    code = datetime.fromtimestamp(run["source_after"]).astimezone().strftime("%Y-%m-%d %H:%M:%S %Z")
    if run["source_after"] != run["source_before"]:
        code += " — ⚠ the code changed while the benchmark ran: figures may mix two versions"
    detail = ", ".join(f"{k}: {v}" for k, v in big["detail_contents"].items())
    notes = [
        f"Slowest page: `{slowest[0]}`, {slowest[1]:.1f}× the floor (median).",
        "Query counts do not grow with N."
        if not grown
        else "Query counts grow with N on: " + ", ".join(f"`{n}`" for n in grown) + ".",
    ]
    if bigger:
        notes.append(
            "Response size grows with N (no pagination?) on: " + ", ".join(f"`{n}`" for n in bigger) + "."
        )
    stopped = "" if run["done"] == args.requests else f" (stopped at {run['done']}: time budget)"
    return "\n".join(
        [
            f"### {big['database']}",
            "",
            f"- Date: {started:%Y-%m-%d %H:%M %Z}; run took {run['total_s']:.0f} s; load average "
            f"(1/5/15 min) {run['load_before']} before, {run['load_after']} after the timed requests",
            f"- Machine: {machine()}; database {big['database']}; Django {big['django']}; gunicorn, "
            "2 sync workers on 127.0.0.1",
            f"- Code: newest file under mamori/, templates/, config/ modified {code}",
            f"- N = {big['incidents']} incidents ({c['responding']} responding, {c['with_handler']} of them "
            f"with a handler; {c['not_incident']} not incidents; {c['received']} in the triage queue), "
            f"made through the services in {big['generate_s']:.0f} s (median submit_report "
            f"{big['submit_ms_median']} ms, triage {big['triage_ms_median']} ms); second dataset "
            f"N = {small['incidents']} for the query counts",
            f"- R = {run['done']} sequential requests per page{stopped}, after {args.warmup} warm-up rounds, "
            f"round-robin across pages; detail page = {big['detail_reference']} ({detail})",
            "",
            "| Page | median ms | p90 ms | median ÷ /healthz | queries | SQL ms* | in-process ms* | KiB |",
            "|---|---:|---:|---:|---:|---:|---:|---:|",
            *rows,
            "",
            f"Medians and p90 over HTTP at N = {big['incidents']}. Queries, SQL ms, in-process ms and KiB "
            f"are given as N = {small['incidents']} → N = {big['incidents']}; "
            "\\* in-process = django.test.Client, no HTTP, no gunicorn: median of 5 warm requests, "
            "time spent in SQL and in the whole request.",
            "",
            *[f"- {n}" for n in notes],
        ]
    )


def write_doc(key: str, body: str) -> None:
    begin, end = f"<!-- bench:list_pages:{key}:begin -->", f"<!-- bench:list_pages:{key}:end -->"
    block = f"{begin}\n{body}\n{end}"
    text = DOC.read_text(encoding="utf-8") if DOC.exists() else HEADER
    if begin in text and end in text:
        head, rest = text.split(begin, 1)
        text = head + block + rest.split(end, 1)[1]
    else:
        if "## list_pages" not in text:
            text = text.rstrip("\n") + "\n\n## list_pages: incident list pages with many incidents\n"
        text = text.rstrip("\n") + "\n\n" + block + "\n"
    DOC.parent.mkdir(parents=True, exist_ok=True)
    DOC.write_text(text, encoding="utf-8")


# --- main ----------------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--incidents", type=int, default=2000, help="N, incidents in the dataset (2000)")
    parser.add_argument("--requests", type=int, default=200, help="R, timed requests per page (200)")
    parser.add_argument("--small", type=int, default=200, help="smaller dataset for query counts (200)")
    parser.add_argument("--warmup", type=int, default=10, help="untimed rounds first (10)")
    parser.add_argument(
        "--database-url",
        help="a PostgreSQL server to use, e.g. postgres://postgres@127.0.0.1:5432/test: the bench "
        "creates and drops its own databases there and never touches the named one's tables",
    )
    parser.add_argument("--no-write", action="store_true", help="print the section, leave docs/ alone")
    args = parser.parse_args()
    if args.database_url and not is_postgres(args.database_url):
        parser.error("--database-url must be a postgres:// URL (SQLite is the default)")
    if min(args.incidents, args.small) < 10 or args.requests < 1:
        parser.error("give at least 10 incidents and 1 request")

    started_at = datetime.now().astimezone()
    source_before = newest_source()
    t_start = time.monotonic()
    work = Path(tempfile.mkdtemp(prefix="mamori-bench-"))
    made_dbs: list[str] = []
    server = None
    try:
        datasets = {}
        envs = {}
        for label, n in (("small", args.small), ("big", args.incidents)):
            url = None
            if args.database_url:
                name = f"mamori_bench_{os.getpid()}_{label}"
                create_database(args.database_url, name)
                made_dbs.append(name)
                url = with_database(args.database_url, name)
            envs[label] = child_env(work / label, url)
            print(f"building N={n} …", flush=True)
            datasets[label] = build_dataset(n, envs[label], work)
        big = datasets["big"]
        port = free_port()
        log = work / "gunicorn.log"
        server = start_gunicorn(envs["big"], port, log)
        wait_healthy(server, port, log)
        print(f"measuring {args.requests} × {len(big['paths'])} pages on 127.0.0.1:{port} …", flush=True)
        load_before = load()
        try:
            run = measure(port, big, args.requests, args.warmup)
        except SystemExit:
            stop(server)
            print("gunicorn log (last lines):", *log.read_text(errors="replace").splitlines()[-30:], sep="\n")
            raise
        run.update(load_before=load_before, load_after=load(), source_before=source_before)
        stop(server)
        run["total_s"] = time.monotonic() - t_start
        run["source_after"] = newest_source()
        body = section(args, big, datasets["small"], run, started_at)
    finally:
        if server is not None:
            stop(server)
        for name in made_dbs:
            drop_database(args.database_url, name)
        shutil.rmtree(work, ignore_errors=True)
    print(body)
    if not args.no_write:
        key = "postgresql" if args.database_url else "sqlite"
        write_doc(key, body)
        print(f"written to {DOC.relative_to(ROOT)}")


if __name__ == "__main__":
    main()

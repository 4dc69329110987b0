"""What the benchmarks share: throwaway databases, the child environment, gunicorn, machine facts and
the sections of docs/performance.md. Parent-side only: nothing here imports Django (the children's
side, from migrating to the named people, is bench/dataset.py).

bench/ is a folder of scripts, not a package. Run as ``.venv/bin/python bench/x.py`` from the project
root, a script's folder is the first entry of ``sys.path``, so the scripts import each other by bare
name (``from common import …``, ``from dataset import …``), as the generator's modules do; under
pytest bench/tests/conftest.py puts bench/ on the path, and a ``manage.py`` child that needs a bench
module gets bench/ on its PYTHONPATH (intake_kill.py), the app server never.

Every benchmark talks to 127.0.0.1 only and cleans up what it made (databases, data dirs, servers).
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
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
BENCH = Path(__file__).resolve().parent
VENV_BIN = Path(sys.executable).parent
DOC = ROOT / "docs" / "performance.md"
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
    """The same server and user, another database."""
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, "/" + name, parts.query, parts.fragment))


def database_exists(admin_url: str, name: str) -> bool:
    import psycopg

    with psycopg.connect(admin_url, autocommit=True) as conn:
        return conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone() is not None


def create_database(admin_url: str, name: str, *, template: str | None = None) -> None:
    """A new database; with ``template``, a copy of that one (which nobody may be connected to)."""
    import psycopg

    with psycopg.connect(admin_url, autocommit=True) as conn:
        if template:
            # A copy refuses to start while someone is connected to the template (a stale server).
            conn.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s", [template]
            )
            conn.execute(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
        else:
            conn.execute(f'CREATE DATABASE "{name}"')


def drop_database(admin_url: str, name: str) -> None:
    import psycopg

    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@contextlib.contextmanager
def scratch(
    admin_url: str | None, database: str, *, prefix: str, template: str | None = None
) -> Iterator[tuple[Path, str | None]]:
    """A temporary work folder and, given a PostgreSQL server (``admin_url``, only connected to), a new
    database there (a copy of ``template`` if given): (the folder, the database's URL, or None for
    SQLite in a data dir of the folder). Both are removed at the end, whatever happened."""
    work = Path(tempfile.mkdtemp(prefix=prefix))
    created = False
    try:
        url = None
        if admin_url:
            create_database(admin_url, database, template=template)
            created = True
            url = with_database(admin_url, database)
        yield work, url
    finally:
        if created:
            drop_database(admin_url or "", database)
        shutil.rmtree(work, ignore_errors=True)


def stored_moment(value: Any) -> datetime | None:
    """A datetime column read without Django: SQLite's naive UTC text (as Django stores it), or what
    psycopg gives for PostgreSQL's timestamptz (already aware)."""
    if isinstance(value, str):
        return datetime.fromisoformat(value).replace(tzinfo=UTC)
    return value


# --- the command line ----------------------------------------------------------------------------


def postgres_url(value: str) -> str:
    if not is_postgres(value):
        raise argparse.ArgumentTypeError("must be a postgres:// URL (SQLite is the default)")
    return value


def database_options(parser: argparse.ArgumentParser) -> None:
    """``--database-url`` and ``--no-write``, as every benchmark takes them."""
    parser.add_argument(
        "--database-url",
        type=postgres_url,
        help="a PostgreSQL server to use, e.g. postgres://postgres@127.0.0.1:5432/test: the bench "
        "creates and drops its own databases there and never touches the named one's tables "
        "(without it: SQLite in a temporary data dir)",
    )
    parser.add_argument("--no-write", action="store_true", help="print the section, leave docs/ alone")


# --- child processes -----------------------------------------------------------------------------


def child_env(data_dir: Path, database_url: str | None, **extra: str) -> dict[str, str]:
    """The environment of a Django child process (a data builder, gunicorn, a manage.py command):
    production settings (no debug), this data dir, and this database (SQLite in the data dir if None)."""
    env = dict(os.environ)
    env.pop("DATABASE_URL", None)
    env.pop("MAMORI_PUBLIC_ONLY", None)
    env.pop("MAMORI_TESTING", None)
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
    env.update(extra)
    return env


def child_json(
    script: str, *args: str, env: dict[str, str], out: Path, timeout: float | None = None
) -> dict[str, Any]:
    """Run a bench script in a Django child process; it writes its answer as JSON to ``out``."""
    subprocess.run(
        [sys.executable, str(BENCH / script), *args, "--out", str(out)],
        cwd=ROOT,
        env=env,
        check=True,
        timeout=timeout,
    )
    return json.loads(out.read_text(encoding="utf-8"))


def manage(env: dict[str, str], *args: str, timeout: float = 3600) -> str:
    """Run ``manage.py`` in a child process; its standard output."""
    done = subprocess.run(
        [sys.executable, str(ROOT / "manage.py"), *args],
        cwd=ROOT,
        env=env,
        check=True,
        timeout=timeout,
        capture_output=True,
        text=True,
    )
    return done.stdout


# --- gunicorn ------------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def get(
    port: int, path: str, headers: dict[str, str] | None = None, timeout: float = 30
) -> tuple[int, bytes]:
    """One request on a fresh connection (gunicorn's sync workers close after each response)."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        conn.request("GET", path, headers=headers or {})
        response = conn.getresponse()
        return response.status, response.read()
    finally:
        conn.close()


class Gunicorn:
    """The production web server as docs/operations.md starts it, on a free port of 127.0.0.1.

    It runs in a session of its own, so that ``kill`` can SIGKILL the master and every worker at once,
    as a crash or an out-of-memory kill would.
    """

    def __init__(self, env: dict[str, str], log: Path, *, workers: int = 4, port: int | None = None):
        self.env, self.log, self.workers = env, log, workers
        self.port = port or free_port()
        self.process: subprocess.Popen | None = None

    @property
    def command(self) -> list[str]:
        return [
            str(VENV_BIN / "gunicorn"),
            "config.wsgi",
            "-b",
            f"127.0.0.1:{self.port}",
            "-w",
            str(self.workers),
            "--timeout",
            "120",
        ]

    def start(self, timeout: float = 60) -> None:
        with self.log.open("ab") as out:
            self.process = subprocess.Popen(
                self.command,
                cwd=ROOT,
                env=self.env,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise SystemExit(f"gunicorn exited ({self.process.returncode}):\n{self.tail()}")
            with contextlib.suppress(OSError):
                if get(self.port, "/healthz", timeout=5)[0] == 200:
                    return
            time.sleep(0.2)
        self.stop()
        raise SystemExit(f"gunicorn did not answer /healthz within {timeout} s:\n{self.tail()}")

    def stop(self) -> None:
        """SIGTERM: the master lets its workers finish the request in hand."""
        if self.process is None or self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.kill()

    def kill(self) -> None:
        """SIGKILL to the master and all its workers: nothing gets to finish or clean up."""
        if self.process is None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait()

    def tail(self, lines: int = 30) -> str:
        return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])


# --- the report ----------------------------------------------------------------------------------


def load_average() -> str:
    return "/".join(f"{x:.2f}" for x in os.getloadavg())


def cpu_seconds(pid: int) -> float:
    """User + system CPU time so far of a live process (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def processes() -> dict[int, tuple[str, int, float]]:
    """(command name, process group, CPU seconds so far) of every process on the machine."""
    ticks = os.sysconf("SC_CLK_TCK")
    found = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        with contextlib.suppress(OSError, ValueError, IndexError):
            text = stat.read_text()
            comm, fields = text[text.index("(") + 1 : text.rindex(")")], text.rsplit(")", 1)[1].split()
            found[int(stat.parent.name)] = (comm, int(fields[2]), (int(fields[11]) + int(fields[12])) / ticks)
    return found


def machine_busy() -> tuple[int, int]:
    """(busy, total) clock ticks of all CPUs since boot, from /proc/stat; idle and iowait are not busy."""
    values = [int(v) for v in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    return sum(values) - values[3] - values[4], sum(values)


def machine() -> str:
    """nproc, CPU model, memory and Python: enough to compare two runs' machines."""
    model = ""
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    memory = ""
    with contextlib.suppress(OSError, ValueError, IndexError):
        kib = int(Path("/proc/meminfo").read_text().split("\n")[0].split()[1])
        memory = f", {kib / 1024 / 1024:.0f} GiB"
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return f"nproc {cores}{f' ({model})' if model else ''}{memory}, Python {platform.python_version()}"


def newest_source() -> float:
    """Modification time of the newest app source or template: which code was measured."""
    newest = 0.0
    for folder in ("mamori", "templates", "config"):
        for path in (ROOT / folder).rglob("*"):
            if path.suffix in (".py", ".html") and "migrations" not in path.parts:
                newest = max(newest, path.stat().st_mtime)
    return newest


def timed(fn: Any, runs: int) -> tuple[list[float], Any]:
    """Run ``fn`` ``runs`` times in this process: the milliseconds of each run, and the last result."""
    times, result = [], None
    for _ in range(runs):
        start = time.perf_counter()
        result = fn()
        times.append((time.perf_counter() - start) * 1000)
    return times, result


def write_doc(bench: str, key: str, body: str, *, title: str, opening: str = "begin") -> None:
    """Replace this benchmark's section for ``key`` (a database) in docs/performance.md, or append it
    under a ``## bench: title`` heading; the hand-written text around the markers is left alone.

    ``opening`` is the last word of the first marker: register_export's sections open with ``start``.
    """
    begin, end = f"<!-- bench:{bench}:{key}:{opening} -->", f"<!-- bench:{bench}:{key}:end -->"
    block = f"{begin}\n{body}\n{end}"
    text = DOC.read_text(encoding="utf-8") if DOC.exists() else HEADER
    if begin in text and end in text:
        head, rest = text.split(begin, 1)
        text = head + block + rest.split(end, 1)[1]
    elif (last := text.rfind(f"<!-- bench:{bench}:")) >= 0:
        # After this benchmark's other sections (another database), before the reading below them.
        cut = text.index("-->", last) + 3
        text = text[:cut] + "\n\n" + block + text[cut:]
    else:
        text = text.rstrip("\n") + f"\n\n## {bench}: {title}\n\n" + block + "\n"
    DOC.parent.mkdir(parents=True, exist_ok=True)
    DOC.write_text(text, encoding="utf-8")

"""What the benchmarks share: throwaway databases, the child environment, gunicorn, machine facts and
the sections of docs/performance.md. Parent-side only: nothing here imports Django.

Every benchmark talks to 127.0.0.1 only and cleans up what it made (databases, data dirs, servers).
"""

import contextlib
import http.client
import os
import platform
import secrets
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
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


def write_doc(bench: str, key: str, body: str, *, title: str) -> None:
    """Replace this benchmark's section for ``key`` (a database) in docs/performance.md, or append it
    under a ``## bench: title`` heading; the hand-written text around the markers is left alone."""
    begin, end = f"<!-- bench:{bench}:{key}:begin -->", f"<!-- bench:{bench}:{key}:end -->"
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

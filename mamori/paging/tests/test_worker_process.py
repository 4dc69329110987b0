"""The worker as a real process: SIGKILL in the middle of a chain loses nothing; SIGTERM exits cleanly.

It runs against a database of its own (a SQLite file in a temporary data folder), set up and
inspected from outside, as an operator would see it.
"""

import os
import signal
import sqlite3
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]
SETUP = (
    "from mamori.conftest import make_org; from mamori.incidents.tests.scenario import report, triage; "
    "org = make_org('komae'); triage(org, report(org), level=3)"
)


@pytest.fixture
def instance(tmp_path):
    """A separate Mamori with a level-3 incident whose CSIRT責任者 has just been paged."""
    db = tmp_path / "mamori.sqlite3"
    env = {
        **os.environ,
        "MAMORI_DATA_DIR": str(tmp_path),
        "DATABASE_URL": f"sqlite:///{db}",
        "MAMORI_PAGE_CHANNELS": "inbox",
        "MAMORI_WORKER_IDLE_SECONDS": "0.1",
        "MAMORI_CLAIM_LEASE_SECONDS": "2",
        "MAMORI_TESTING": "1",
    }
    manage = [sys.executable, str(ROOT / "manage.py")]
    subprocess.run([*manage, "migrate", "-v", "0"], env=env, check=True, cwd=ROOT)
    subprocess.run([*manage, "shell", "-c", SETUP], env=env, check=True, cwd=ROOT)
    return env, manage, db


def query(db: Path, sql: str, *params) -> list[tuple]:
    with sqlite3.connect(db, timeout=10) as conn:
        return conn.execute(sql, params).fetchall()


def inbox_of(db: Path, username: str) -> int:
    return query(
        db,
        "SELECT count(*) FROM paging_inboxmessage m JOIN people_user u ON u.id = m.recipient_id "
        "WHERE u.username = ?",
        username,
    )[0][0]


def wait_for(condition, seconds: float = 20) -> None:
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        if condition():
            return
        time.sleep(0.1)
    raise AssertionError("timed out waiting for the worker")


def start_worker(env, manage) -> subprocess.Popen:
    return subprocess.Popen(
        [*manage, "run_worker"], env=env, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT
    )


def db_time(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")


def test_sigkill_in_the_middle_of_a_chain_loses_no_page(instance):
    env, manage, db = instance
    worker = start_worker(env, manage)
    try:
        wait_for(lambda: inbox_of(db, "komae-csirt_head") == 1)
    finally:
        worker.kill()  # SIGKILL: no chance to clean up
        worker.wait(10)

    # The holder's deadline passes while no worker runs, and the dead worker still "holds" the chain.
    now = datetime.now(UTC)
    query(
        db,
        "UPDATE paging_escalation SET next_check_at = ?, claimed_until = ?, claimed_by = 'dead' "
        "WHERE role_key = 'csirt_head'",
        db_time(now - timedelta(minutes=1)),
        db_time(now + timedelta(seconds=2)),
    )

    worker = start_worker(env, manage)
    try:
        # After the dead worker's lease runs out, the new one pages the deputy (komae 第4条第4項).
        wait_for(lambda: inbox_of(db, "komae-csirt_manager") >= 2)
    finally:
        worker.send_signal(signal.SIGTERM)
        assert worker.wait(15) == 0
    pages = query(
        db,
        "SELECT u.username, p.state FROM paging_page p JOIN people_user u ON u.id = p.recipient_id "
        "JOIN paging_escalation e ON e.id = p.escalation_id WHERE e.role_key = 'csirt_head' "
        "ORDER BY p.id",
    )
    assert pages == [("komae-csirt_head", "expired"), ("komae-csirt_manager", "open")]
    assert inbox_of(db, "komae-csirt_head") == 1  # nothing sent twice
    # Every delivery was made exactly once.
    assert query(db, "SELECT count(*) FROM paging_delivery WHERE state != 'sent'")[0][0] == 0
    assert (
        query(db, "SELECT count(*) FROM paging_deliveryattempt")[0][0]
        == query(db, "SELECT count(*) FROM paging_delivery")[0][0]
    )


def test_sigterm_exits_cleanly(instance):
    env, manage, _db = instance
    worker = start_worker(env, manage)
    # Signal only once it has said it started: before that, SIGTERM would meet Python's default handler
    # (a loaded machine can take more than a few seconds to start Django).
    seen = b""
    deadline = time.monotonic() + 60
    while b"worker started" not in seen:
        assert time.monotonic() < deadline and worker.poll() is None, seen
        seen += worker.stdout.readline()
    worker.send_signal(signal.SIGTERM)
    assert worker.wait(15) == 0
    assert b"worker stopped" in seen + worker.stdout.read()

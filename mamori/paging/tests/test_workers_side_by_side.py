"""Two workers side by side on PostgreSQL (SKIP LOCKED) send every page once, and only once.

Runs in the PostgreSQL pass of .ci/run, against a throwaway database on the same server.
"""

import os
import subprocess
import sys
import time
import uuid
from pathlib import Path

import psycopg
import pytest
from django.db import connection

ROOT = Path(__file__).resolve().parents[3]
SETUP = (
    "from mamori.conftest import make_org; from mamori.incidents.tests.scenario import report, triage; "
    "org = make_org('komae'); [triage(org, report(org), level=3) for _ in range(25)]"
)


@pytest.fixture
def postgres_database(tmp_path):
    if connection.vendor != "postgresql":
        pytest.skip("runs in the PostgreSQL pass of .ci/run")
    params = connection.settings_dict
    server = dict(
        host=params["HOST"] or "127.0.0.1",
        port=params["PORT"] or 5432,
        user=params["USER"],
        password=params["PASSWORD"] or None,
        dbname="postgres",
        autocommit=True,
    )
    name = f"mamori_workers_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(**server) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    url = f"postgres://{params['USER']}@{server['host']}:{server['port']}/{name}"
    try:
        yield url, tmp_path
    finally:
        with psycopg.connect(**server) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def test_two_workers_send_each_page_exactly_once(postgres_database):
    url, data_dir = postgres_database
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "MAMORI_DATA_DIR": str(data_dir),
        "MAMORI_PAGE_CHANNELS": "inbox",
        "MAMORI_WORKER_IDLE_SECONDS": "0.05",
        "MAMORI_TESTING": "1",
    }
    manage = [sys.executable, str(ROOT / "manage.py")]
    subprocess.run([*manage, "migrate", "-v", "0"], env=env, check=True, cwd=ROOT)
    subprocess.run([*manage, "shell", "-c", SETUP], env=env, check=True, cwd=ROOT)
    workers = [
        subprocess.Popen(
            [*manage, "run_worker"], env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        for _ in range(2)
    ]
    try:
        with psycopg.connect(url.replace("postgres://", "postgresql://"), autocommit=True) as db:
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline:
                waiting = db.execute("SELECT count(*) FROM paging_delivery WHERE state <> 'sent'").fetchone()[
                    0
                ]
                if waiting == 0:
                    break
                time.sleep(0.2)
            deliveries = db.execute("SELECT count(*) FROM paging_delivery").fetchone()[0]
            attempts = db.execute("SELECT count(*) FROM paging_deliveryattempt").fetchone()[0]
            pages = db.execute("SELECT count(*) FROM paging_page WHERE state = 'open'").fetchone()[0]
            inbox = db.execute("SELECT count(*) FROM paging_inboxmessage").fetchone()[0]
            doubled = db.execute(
                "SELECT count(*) FROM (SELECT page_id FROM paging_inboxmessage GROUP BY page_id "
                "HAVING count(*) > 1) d"
            ).fetchone()[0]
    finally:
        for worker in workers:
            worker.terminate()
        for worker in workers:
            worker.wait(15)
    assert waiting == 0
    assert deliveries >= 75 and attempts == deliveries  # 25 incidents × (report, head, CISO)
    assert inbox == pages and doubled == 0

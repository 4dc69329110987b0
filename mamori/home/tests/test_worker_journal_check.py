"""The worker's hourly journal check runs beside the paging loop, never in its way."""

import logging
import sys
import time

import pytest

from mamori.home.worker import Job, JournalCheck, Worker

# The worker's loop closes stale database connections before each job.
pytestmark = pytest.mark.django_db


def slow_check(code: int, message: str, seconds: float = 1.0) -> list[str]:
    return [
        sys.executable,
        "-c",
        f"import time, sys; time.sleep({seconds}); print({message!r}); sys.exit({code})",
    ]


def run_until_verdict(check: JournalCheck, timeout: float = 20) -> tuple[int, float]:
    """Pass after pass, as run_worker does, with a paging job that counts its turns."""
    turns = []
    worker = Worker([Job("check_journal", check.start, 3600), Job("page", lambda: turns.append(1) or 0, 0)])
    worker.jobs.append(Job("check_journal_verdict", check.collect, 0))
    started = time.monotonic()
    while time.monotonic() - started < timeout:
        worker.run_once()
        if worker.done.get("check_journal_verdict"):
            break
        time.sleep(0.01)
    return len(turns), time.monotonic() - started


def test_paging_goes_on_while_the_journal_is_checked(caplog):
    caplog.set_level(logging.INFO, logger="mamori.worker")
    turns, seconds = run_until_verdict(JournalCheck(slow_check(0, "journal intact: 3 entries")))
    assert seconds >= 1.0
    assert turns > 20  # the loop kept turning during the second the check took
    assert "journal intact: 3 entries" in caplog.text


def test_a_broken_chain_is_logged_as_critical(caplog):
    caplog.set_level(logging.INFO, logger="mamori.worker")
    run_until_verdict(JournalCheck(slow_check(1, "journal broken at entry #7", seconds=0.1)))
    critical = [r for r in caplog.records if r.levelno == logging.CRITICAL]
    assert critical and "journal broken at entry #7" in critical[0].getMessage()


def test_only_one_check_runs_at_a_time():
    check = JournalCheck(slow_check(0, "ok", seconds=0.5))
    check.start()
    first = check.process
    check.start()
    assert check.process is first
    while not check.collect():
        time.sleep(0.05)
    assert check.process is None

"""The worker's loop: run each due job, sleep, repeat; stop cleanly on SIGTERM/SIGINT.

Work lives in database rows (DESIGN.md), so a worker that is killed loses nothing: the next one
picks up the same rows. Jobs are plain functions that return how much they did.
"""

import logging
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings
from django.db import close_old_connections

log = logging.getLogger("mamori.worker")


@dataclass
class Job:
    name: str
    run: Callable[[], int]
    every_seconds: float
    next_at: float = 0.0


@dataclass
class Worker:
    jobs: list[Job]
    stopping: bool = False
    passes: int = 0
    done: dict[str, int] = field(default_factory=dict)

    def stop(self, *_args) -> None:
        # Finish the job in hand, then leave the loop.
        self.stopping = True

    def run_once(self) -> int:
        total = 0
        now = time.monotonic()
        for job in self.jobs:
            if self.stopping:
                break
            if job.next_at > now:
                continue
            close_old_connections()
            try:
                count = job.run()
            except Exception:
                # One failing job must not stop the others; the traceback goes to the log.
                log.exception("job %s failed", job.name)
                count = 0
            job.next_at = time.monotonic() + job.every_seconds
            self.done[job.name] = self.done.get(job.name, 0) + count
            total += count
        self.passes += 1
        return total

    def run_forever(self, max_passes: int | None = None) -> None:
        signal.signal(signal.SIGTERM, self.stop)
        signal.signal(signal.SIGINT, self.stop)
        log.info("worker started with jobs: %s", ", ".join(j.name for j in self.jobs) or "none")
        while not self.stopping and (max_passes is None or self.passes < max_passes):
            if self.run_once() == 0:
                self._sleep(settings.MAMORI_WORKER_IDLE_SECONDS)
        log.info("worker stopped after %s passes", self.passes)

    def _sleep(self, seconds: float) -> None:
        end = time.monotonic() + seconds
        while not self.stopping and time.monotonic() < end:
            time.sleep(min(0.2, end - time.monotonic()))


class JournalCheck:
    """Re-verify the hash chain now and then, so tampering is noticed without waiting for an audit.

    The check runs as a process of its own (``manage.py verify_journal``): at a prefecture's size it
    takes half a minute (10 million entries at ~300,000 a second, docs/performance.md), and pages
    falling due meanwhile must not wait for it. ``start`` runs hourly; ``collect`` runs every pass and
    logs the verdict once the check has ended: a broken chain, or a check that could not run, at
    CRITICAL with what the command said.
    """

    def __init__(self, command: list[str] | None = None) -> None:
        self.command = command or [
            sys.executable,
            str(Path(settings.BASE_DIR) / "manage.py"),
            "verify_journal",
        ]
        self.process: subprocess.Popen[str] | None = None

    def start(self) -> int:
        if self.process is None:
            self.process = subprocess.Popen(  # noqa: S603 -- our own manage.py, no outside input
                self.command,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                text=True,
            )
        return 0

    def collect(self) -> int:
        if self.process is None or self.process.poll() is None:
            return 0
        output = (self.process.stdout.read() if self.process.stdout else "").strip()
        if self.process.returncode == 0:
            log.info("%s", output)
        else:
            log.critical("journal check failed (exit %s): %s", self.process.returncode, output)
        if self.process.stdout:
            self.process.stdout.close()
        self.process = None
        return 1


def default_jobs(should_stop: Callable[[], bool] = lambda: False) -> list[Job]:
    from mamori.accounts.ratelimit import purge_old_windows
    from mamori.continuity import rollcall
    from mamori.exception_measures.services import remind_expiring
    from mamori.incidents.outside import check_report_clocks
    from mamori.outsourcing.services import remind_due_checks
    from mamori.paging.delivery import send_due
    from mamori.paging.services import advance_due
    from mamori.relay.sync import sync as relay_sync
    from mamori.reviews.services import remind_due_reviews

    journal_check = JournalCheck()
    jobs = [
        # Every pass: page the next person where a deadline passed, then send what is due.
        Job("advance_escalations", advance_due, 0),
        Job("send_pages", lambda: send_due(should_stop=should_stop), 0),
        Job("outside_report_clocks", check_report_clocks, 30),
        # An emergency's roll-call (katsushika 4(2) 安否確認): its messages, and reminders to the silent.
        Job("send_rollcall", lambda: rollcall.send_due(should_stop=should_stop), 0),
        Job("rollcall_reminders", rollcall.send_reminders, 60),
        # The relay on the internet-facing segment, if there is one: links out, answers in.
        Job("relay_sync", relay_sync, 15),
        # Started hourly as a process of its own; every pass looks whether it has ended.
        Job("check_journal", journal_check.start, 3600),
        Job("check_journal_verdict", journal_check.collect, 0),
        # Exception measures about to end: their applicant and approvers are told (tatebayashi 7.4(3)).
        Job("exception_measure_reminders", remind_expiring, 3600),
        # Documents whose yearly review is near (katsushika 6(2), tatebayashi 9.3).
        Job("review_reminders", remind_due_reviews, 3600),
        # Outsourcing contracts whose periodic compliance check is near (tatebayashi 8.1(3)①(イ)).
        Job("contract_check_reminders", remind_due_checks, 3600),
        # Rate-limit counters older than a day count nothing any more.
        Job("purge_rate_windows", purge_old_windows, 3600),
    ]
    if settings.MAMORI_INTAKE_MAILDIR:
        from mamori.intake.mail import ingest_maildir

        jobs.append(
            Job("ingest_maildir", lambda: ingest_maildir(settings.MAMORI_INTAKE_MAILDIR).accepted, 30)
        )
    return jobs

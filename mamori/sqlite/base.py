"""Django's SQLite backend, with writers queued on a file lock instead of SQLite's busy-wait.

SQLite lets one writer at a time in (``BEGIN IMMEDIATE``, config/settings.py); the others wait in its
busy handler, which sleeps 1, 2, 5, 10, 15, 20, 25, 25, 25, 50, 50, 100 ms between tries: however soon
the writer in front finishes, the next one may sleep on for tens of milliseconds. In a burst of
reports this made the slowest tenth of the staff form's answers wait ~1 s while the database was
mostly idle (docs/performance.md). Here a transaction first takes an exclusive ``flock`` on a lock
file beside the database, tried every half millisecond, so the next writer starts within about a
millisecond of the last one's commit; then SQLite's own lock is free and ``BEGIN IMMEDIATE`` succeeds
at once. Readers never take it (WAL), and writes outside a transaction still rely on SQLite's lock.
The wait is bounded by the database's ``timeout`` option, as SQLite's was; then "database is locked".
"""

import fcntl
import os
import time
from typing import Any

from django.db.backends.sqlite3 import base
from django.db.utils import OperationalError

POLL_SECONDS = 0.0005


class DatabaseWrapper(base.DatabaseWrapper):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._writer_lock: int | None = None

    def _lock_path(self) -> str | None:
        name = str(self.settings_dict["NAME"])
        return None if self.is_in_memory_db() else f"{name}-writer.lock"

    def _take_writer_lock(self) -> None:
        path = self._lock_path()
        if path is None or self._writer_lock is not None:
            return
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
        deadline = time.monotonic() + float(self.settings_dict["OPTIONS"].get("timeout", 5))
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                if time.monotonic() > deadline:
                    os.close(fd)
                    raise OperationalError("database is locked") from None
                time.sleep(POLL_SECONDS)
            else:
                self._writer_lock = fd
                return

    def _release_writer_lock(self) -> None:
        if self._writer_lock is not None:
            fd, self._writer_lock = self._writer_lock, None
            os.close(fd)  # closing the file drops its flock

    def _start_transaction_under_autocommit(self) -> None:
        self._take_writer_lock()
        try:
            super()._start_transaction_under_autocommit()  # type: ignore[misc]
        except BaseException:
            self._release_writer_lock()
            raise

    def _commit(self) -> None:
        try:
            super()._commit()  # type: ignore[misc]
        finally:
            self._release_writer_lock()

    def _rollback(self) -> None:
        try:
            super()._rollback()  # type: ignore[misc]
        finally:
            self._release_writer_lock()

    def _close(self) -> None:
        try:
            super()._close()  # type: ignore[misc]
        finally:
            self._release_writer_lock()

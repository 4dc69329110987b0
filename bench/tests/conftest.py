"""Fixtures of the bench tests: bench/ on the import path (it is not a package), and the journal's
append-only triggers lifted for the flush after a transactional test (as mamori/conftest.py does)."""

import importlib
import sys
from pathlib import Path

import pytest
from django.db import connection

BENCH = Path(__file__).resolve().parent.parent
if str(BENCH) not in sys.path:
    sys.path.insert(0, str(BENCH))

append_only_triggers = importlib.import_module("mamori.journal.migrations.0003_append_only_triggers")


@pytest.fixture(autouse=True)
def journal_flushable_on_sqlite(request):
    """pytest-django flushes the database after a transactional test; on SQLite the journal's triggers
    refuse the flush's DELETE (PostgreSQL truncates, which row triggers do not see)."""
    marker = request.node.get_closest_marker("django_db")
    if not (marker and marker.kwargs.get("transaction")):
        yield
        return
    request.getfixturevalue("transactional_db")
    yield
    if connection.vendor != "sqlite":
        return
    with connection.cursor() as cursor:
        for sql in append_only_triggers.SQLITE_REVERSE:
            cursor.execute(sql)
        cursor.execute("DELETE FROM journal_journalentry")
        for sql in append_only_triggers.SQLITE:
            cursor.execute(sql)

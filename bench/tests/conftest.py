"""Fixtures of the bench tests: bench/ on the import path (it is not a package: its scripts import each
other by bare name, bench/common.py says why), and the journal's append-only triggers lifted for the
flush after a transactional test, by the app's own fixture."""

import sys
from pathlib import Path

from mamori.conftest import journal_flushable_on_sqlite  # noqa: F401 - an autouse fixture, here too

BENCH = Path(__file__).resolve().parent.parent
if str(BENCH) not in sys.path:
    sys.path.insert(0, str(BENCH))

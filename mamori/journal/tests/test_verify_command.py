"""manage.py verify_journal says how many entries it checked, in how long and how fast; or it names the
first bad entry (or the head) and exits non-zero."""

import re
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.utils import translation

from .test_verify import raw, write_entries

pytestmark = pytest.mark.django_db

FIGURES = r"(\d+) entries checked in \d+\.\d\d s \([\d,]+ entries/s\)"


def run(*args: str) -> str:
    out = StringIO()
    with translation.override("en"):
        call_command("verify_journal", *args, stdout=out)
    return out.getvalue()


@pytest.mark.parametrize("args", [(), ("--processes", "3")])
def test_an_intact_journal_is_reported_with_count_time_and_rate(args):
    write_entries(5)
    assert re.fullmatch(f"journal intact: {FIGURES}\n", run(*args))


def test_an_empty_journal_is_intact():
    assert re.fullmatch(f"journal intact: {FIGURES}\n", run()).group(1) == "0"


@pytest.mark.parametrize(
    "tamper,message,checked",
    [
        (
            "UPDATE journal_journalentry SET action = 'x' WHERE seq = 3",
            "content does not match its hash",
            "3",
        ),
        (
            "UPDATE journal_journalentry SET prev_hash = 'x' WHERE seq = 3",
            "link to the previous entry is broken",
            "3",
        ),
        ("DELETE FROM journal_journalentry WHERE seq = 2", "expected sequence number 2, found 3", "2"),
    ],
)
def test_a_broken_entry_is_named(tamper, message, checked):
    entries = write_entries(5)
    raw(tamper)
    out = StringIO()
    with translation.override("en"), pytest.raises(CommandError) as raised:
        call_command("verify_journal", stdout=out)
    row = entries[2].pk
    assert str(raised.value) == f"journal broken at entry #3 (row {row}): {message}"
    assert re.fullmatch(f"{FIGURES}\n", out.getvalue()).group(1) == checked


def test_a_wrong_head_is_named():
    write_entries(4)
    raw("DELETE FROM journal_journalentry WHERE seq = 4")
    with translation.override("en"), pytest.raises(CommandError) as raised:
        call_command("verify_journal", stdout=StringIO())
    assert str(raised.value) == "journal broken at the head: the head names entry 4 but the chain ends at 3"

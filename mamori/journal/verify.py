"""Proving the journal: every entry's hash, its link to the one before, and the head.

The entries are read in sequence order, the order the chain claims; the first gap, repeat, broken
link or altered content is named. A long journal is cut into stretches of sequence numbers checked
by several processes at once (scan.py checks one stretch); the stretches are then joined here in
order, checking at each joint what the entry after it must be, so the verdict is the one a single
pass from the first entry to the last gives.
"""

import multiprocessing
import os
import sys
import time
import traceback
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, cast

from django.db import connection, connections

from .chain import GENESIS_HASH
from .models import JournalEntry, JournalHead
from .scan import Stretch, check_stretch

# Below this many entries one process is quick enough (half a second) and starts no other.
PARALLEL_FROM = 100_000
MAX_PROCESSES = 8


@dataclass
class Problem:
    seq: int | None
    pk: int | None
    message: str
    # What is wrong, for verify_journal's translated text: "sequence" (expected: the number due),
    # "link", "content", "head_missing" or "head" (expected: the entry the chain ends at).
    kind: str = ""
    expected: Any = None


def _problem(kind: str, seq: Any = None, pk: int | None = None, expected: Any = None) -> Problem:
    messages = {
        "sequence": f"expected sequence number {expected}, found {seq}",
        "link": "link to the previous entry is broken",
        "content": "content does not match its hash",
        "head_missing": "the journal head is missing",
        "head": f"the head names entry {seq} but the chain ends at {expected}",
    }
    return Problem(seq, pk, messages[kind], kind, expected)


@dataclass
class Verification:
    checked: int
    problem: Problem | None
    seconds: float
    processes: int  # how many processes checked stretches at once
    rechecked: int  # entries hashed the exact way, as a model instance (scan.py)


def verify_chain(batch_size: int = 5000, *, processes: int | None = None) -> tuple[int, Problem | None]:
    """Return (entries checked, first problem or None)."""
    result = verify(batch_size=batch_size, processes=processes)
    return result.checked, result.problem


def verify(batch_size: int = 5000, *, processes: int | None = None) -> Verification:
    """Check the whole chain, then the head.

    ``processes``: how many stretches to check at once; by default one per CPU for a journal of
    PARALLEL_FROM entries or more, else one.
    """
    started = time.perf_counter()
    stretches, used = _check_stretches(_bounds(processes), max(1, batch_size))
    checked, found, next_seq, last_hash = _join(stretches)
    if found is None:
        found = _check_head(next_seq - 1, last_hash)
    return Verification(
        checked=checked,
        problem=found,
        seconds=time.perf_counter() - started,
        processes=used,
        rechecked=sum(s.rechecked for s in stretches),
    )


def _join(stretches: Sequence[Stretch]) -> tuple[int, Problem | None, int, str]:
    """Join the stretches in order: (checked, first problem, next sequence number, last hash).

    At each joint the stretch's first entry is checked against the stretch before, as a single pass
    would check it on arriving there; only then does what the stretch found in itself count.
    """
    checked, expected_seq, prev_hash = 0, 1, GENESIS_HASH
    for stretch in stretches:
        if stretch.first is None:
            continue
        seq, pk, first_prev = stretch.first
        if seq != expected_seq:
            return checked + 1, _problem("sequence", seq, pk, expected_seq), expected_seq, prev_hash
        if first_prev != prev_hash:
            return checked + 1, _problem("link", seq, pk), expected_seq, prev_hash
        if stretch.problem is not None:
            seq, pk, kind, expected = stretch.problem
            if kind == "first":  # not a whole number: the check above has named it already
                kind, expected = "sequence", expected_seq
            return checked + stretch.checked, _problem(kind, seq, pk, expected), expected_seq, prev_hash
        if stretch.next_seq is None or stretch.last_hash is None:
            raise AssertionError("a stretch with entries has no end")
        checked += stretch.checked
        expected_seq, prev_hash = stretch.next_seq, stretch.last_hash
    return checked, None, expected_seq, prev_hash


def _check_head(chain_end: int, last_hash: str) -> Problem | None:
    head = JournalHead.objects.filter(pk=1).first()
    if head is None:
        return _problem("head_missing") if chain_end else None
    if head.last_seq != chain_end or head.last_hash != last_hash:
        return _problem("head", head.last_seq, None, chain_end)
    return None


# --- stretches, in several processes -------------------------------------------------------------


def _can_fork() -> bool:
    """Whether child processes can read what this one reads: a committed, shared database.

    Not inside a transaction (the children would not see its rows, and closing the connection
    before forking would end it) and not on an in-memory SQLite database (the tests'): there the
    stretches are checked one after another, with the same joints.
    """
    if "fork" not in multiprocessing.get_all_start_methods() or connection.in_atomic_block:
        return False
    if connection.connection is not None and not connection.get_autocommit():
        return False
    return not (connection.vendor == "sqlite" and cast(Any, connection).is_in_memory_db())


def _bounds(processes: int | None) -> list[tuple[int, int | None]]:
    """Stretches of sequence numbers (after, up to]; the last one has no upper bound."""
    end = JournalEntry.objects.order_by("-seq").values_list("seq", flat=True).first()
    if not isinstance(end, int):
        # Empty, or text where a number belongs (SQLite): one stretch, the checks name it.
        return [(0, None)]
    if processes is None:
        cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
        processes = min(cpus, MAX_PROCESSES) if end >= PARALLEL_FROM and _can_fork() else 1
    processes = max(1, min(processes, end))
    cuts = [end * k // processes for k in range(processes)]
    return [(cuts[k], cuts[k + 1] if k + 1 < processes else None) for k in range(processes)]


def _check_stretches(bounds: list[tuple[int, int | None]], batch_size: int) -> tuple[list[Stretch], int]:
    """The stretches checked, in order, and how many processes checked them."""
    if len(bounds) == 1 or not _can_fork():
        # Also where forking is not possible: the same stretches and joints, one after another.
        return [check_stretch(after, up_to, batch_size=batch_size) for after, up_to in bounds], 1
    context = multiprocessing.get_context("fork")
    # A connection must not cross a fork: each child opens its own, and so does this process after.
    connections.close_all()
    # Nor half-written output, which each child would write again when it ends.
    sys.stdout.flush()
    sys.stderr.flush()
    children = []
    for after, up_to in bounds[1:]:
        receiver, sender = context.Pipe(duplex=False)
        child = context.Process(target=_child, args=(sender, after, up_to, batch_size), daemon=True)
        child.start()
        sender.close()
        children.append((child, receiver, after, up_to))
    finished = False
    try:
        stretches = [check_stretch(*bounds[0], batch_size=batch_size)]
        if stretches[0].problem is not None:
            return stretches, len(bounds)  # the first problem is here: the rest cannot change it
        for child, receiver, after, up_to in children:
            try:
                outcome, value = receiver.recv()
            except EOFError:
                child.join(5)
                outcome, value = "error", f"the process ended without an answer (exit code {child.exitcode})"
            if outcome != "ok":
                end = "the end" if up_to is None else f"entry {up_to}"
                raise RuntimeError(f"checking the journal after entry {after} up to {end} failed:\n{value}")
            stretches.append(value)
        finished = True
    finally:
        for child, receiver, *_ in children:
            receiver.close()
            if not finished:
                child.kill()
            child.join()
    return stretches, len(bounds)


def _child(sender: Any, after: int, up_to: int | None, batch_size: int) -> None:
    try:
        sender.send(("ok", check_stretch(after, up_to, batch_size=batch_size)))
    except BaseException:
        sender.send(("error", traceback.format_exc()))
    finally:
        sender.close()
        connections.close_all()

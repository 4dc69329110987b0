"""verify_chain as it was before issue 6, model instance by model instance: the verdicts to match.

The fast verification (verify.py, scan.py) must name the same first problem, in the same words,
with the same count of entries checked. Kept here unchanged, only renamed.
"""

from mamori.journal.chain import GENESIS_HASH, entry_hash
from mamori.journal.models import JournalEntry, JournalHead
from mamori.journal.verify import Problem


def reference_verify_chain(batch_size: int = 2000) -> tuple[int, Problem | None]:
    """Return (entries checked, first problem or None)."""
    expected_seq = 1
    prev_hash = GENESIS_HASH
    checked = 0
    last_seq = 0
    # In sequence order: the order the chain claims. A gap, a repeat or a broken link is named.
    while True:
        batch = list(JournalEntry.objects.filter(seq__gt=last_seq).order_by("seq")[:batch_size])
        if not batch:
            break
        for entry in batch:
            last_seq = entry.seq
            checked += 1
            if entry.seq != expected_seq:
                return checked, Problem(
                    entry.seq, entry.pk, f"expected sequence number {expected_seq}, found {entry.seq}"
                )
            if entry.prev_hash != prev_hash:
                return checked, Problem(entry.seq, entry.pk, "link to the previous entry is broken")
            if entry_hash(entry) != entry.hash:
                return checked, Problem(entry.seq, entry.pk, "content does not match its hash")
            prev_hash = entry.hash
            expected_seq += 1
    head = JournalHead.objects.filter(pk=1).first()
    chain_end = expected_seq - 1
    if head is None:
        if chain_end:
            return checked, Problem(None, None, "the journal head is missing")
    elif head.last_seq != chain_end or head.last_hash != prev_hash:
        return checked, Problem(
            head.last_seq, None, f"the head names entry {head.last_seq} but the chain ends at {chain_end}"
        )
    return checked, None


def verdict(problem: Problem | None) -> tuple | None:
    """What a verdict says, without the fields the old Problem did not have."""
    return None if problem is None else (problem.seq, problem.pk, problem.message)

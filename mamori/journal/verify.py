"""Proving the journal: every entry's hash, its link to the one before, and the head."""

from dataclasses import dataclass

from .chain import GENESIS_HASH, entry_hash
from .models import JournalEntry, JournalHead


@dataclass
class Problem:
    seq: int | None
    pk: int | None
    message: str


def verify_chain(batch_size: int = 2000) -> tuple[int, Problem | None]:
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

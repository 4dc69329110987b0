"""How an entry's hash is computed. Changing this breaks every existing chain: don't."""

import hashlib
import json
from typing import Any

GENESIS_HASH = "0" * 64


def canonical(payload: dict[str, Any]) -> bytes:
    return json.dumps(payload, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def entry_payload(entry: Any) -> dict[str, Any]:
    return {
        "seq": entry.seq,
        "created_at": entry.created_at.isoformat(),
        "organization": entry.organization_id,
        "actor": entry.actor_id,
        "actor_label": entry.actor_label,
        "action": entry.action,
        "object_type": entry.object_type,
        "object_id": entry.object_id,
        "object_label": entry.object_label,
        "data": entry.data,
        "prev_hash": entry.prev_hash,
    }


def entry_hash(entry: Any) -> str:
    return hashlib.sha256(canonical(entry_payload(entry))).hexdigest()

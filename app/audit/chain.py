"""The audit hash chain: pure functions, no database.

Each event's hash covers its own fields and the previous event's hash in the same chain (one chain
per organization), so altering or removing any event breaks every hash after it.
"""

import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

GENESIS = "0" * 64


def event_hash(prev_hash: str, fields: Mapping[str, Any]) -> str:
    """SHA-256 over the previous hash and the event's fields in canonical JSON."""
    canonical = json.dumps(fields, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(f"{prev_hash}\n{canonical}".encode()).hexdigest()


@dataclass(frozen=True)
class ChainedEvent:
    id: int
    prev_hash: str
    hash: str
    fields: Mapping[str, Any]


@dataclass(frozen=True)
class Verification:
    ok: bool
    checked: int
    first_bad_id: int | None = None
    reason: str | None = None


def verify_chain(events: Iterable[ChainedEvent]) -> Verification:
    """Walk one chain in append order; report the first event that does not fit."""
    expected_prev = GENESIS
    checked = 0
    for event in events:
        if event.prev_hash != expected_prev:
            return Verification(
                False, checked, event.id, "an event before it is missing or changed"
            )
        if event_hash(event.prev_hash, event.fields) != event.hash:
            return Verification(False, checked, event.id, "the event's content was altered")
        expected_prev = event.hash
        checked += 1
    return Verification(True, checked)

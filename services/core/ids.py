"""Identifiers: UUIDv7 event ids (design §4: every message carries a time-ordered `event_id`).

Python 3.11 has no `uuid.uuid7`, so this follows RFC 9562 §5.7: 48-bit Unix milliseconds, then
random bits. Within one process ids are strictly increasing, because the 12-bit `rand_a` field
is used as a counter when several ids share a millisecond (RFC 9562 §6.2, method 1); sorted ids
therefore sort by creation time, which keeps database indexes on them append-mostly.
"""

from __future__ import annotations

import os
import threading
import time
import uuid

__all__ = ["uuid7", "uuid7_time_ms"]

_lock = threading.Lock()
_last_ms = 0
_counter = 0


def _next_ms_and_counter() -> tuple[int, int]:
    global _last_ms, _counter
    with _lock:
        now_ms = time.time_ns() // 1_000_000
        if now_ms > _last_ms:
            _last_ms = now_ms
            _counter = int.from_bytes(os.urandom(2), "big") & 0x7FF  # leave room to count up
        else:
            _counter += 1
            if _counter > 0xFFF:  # counter exhausted: borrow the next millisecond
                _last_ms += 1
                _counter = 0
        return _last_ms, _counter


def uuid7() -> str:
    """Return a new UUIDv7 as its canonical 36-character string."""
    ms, counter = _next_ms_and_counter()
    rand_b = int.from_bytes(os.urandom(8), "big") & ((1 << 62) - 1)
    value = (ms & ((1 << 48) - 1)) << 80
    value |= 0x7 << 76  # version
    value |= counter << 64  # rand_a used as a monotonic counter
    value |= 0b10 << 62  # RFC 4122/9562 variant
    value |= rand_b
    return str(uuid.UUID(int=value))


def uuid7_time_ms(value: str) -> int:
    """The Unix milliseconds encoded in a UUIDv7 string."""
    return uuid.UUID(value).int >> 80

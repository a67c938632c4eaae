"""Access to the real FreeSWITCH 1.11.2 ESL transcripts (design §2), vendored in tests/data/fs-traces."""

from __future__ import annotations

import json
from pathlib import Path

# A byte-for-byte copy of ../shared/fs-traces, so a clean clone runs the tests wherever it is checked out.
TRACES = Path(__file__).resolve().parents[2] / "data" / "fs-traces"

RECV_FILES = sorted(TRACES.glob("*.recv"))


def recorded_frames(recv: Path) -> list[bytes]:
    """The complete frames FreeSWITCH sent, as the matching .jsonl lists them."""
    lines = (json.loads(line) for line in recv.with_suffix(".jsonl").read_text().splitlines())
    return [d["data"].encode() for d in lines if d["dir"] == "recv" and not d.get("eof")]


def conversation(name: str) -> list[dict]:
    return [json.loads(line) for line in (TRACES / name).read_text().splitlines()]

"""Access to the real FreeSWITCH 1.11.2 ESL transcripts in ../shared/fs-traces (design §2)."""

from __future__ import annotations

import json
from pathlib import Path

TRACES = Path(__file__).resolve().parents[4] / "shared" / "fs-traces"
if not TRACES.is_dir():  # the repository may be checked out elsewhere
    TRACES = Path("/work/shared/fs-traces")

RECV_FILES = sorted(TRACES.glob("*.recv"))


def recorded_frames(recv: Path) -> list[bytes]:
    """The complete frames FreeSWITCH sent, as the matching .jsonl lists them."""
    lines = (json.loads(line) for line in recv.with_suffix(".jsonl").read_text().splitlines())
    return [d["data"].encode() for d in lines if d["dir"] == "recv" and not d.get("eof")]


def conversation(name: str) -> list[dict]:
    return [json.loads(line) for line in (TRACES / name).read_text().splitlines()]

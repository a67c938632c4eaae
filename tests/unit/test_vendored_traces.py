"""tests/data/fs-traces is the real switch's transcripts, unmodified (the truth the simulator and the ESL
layer are tested against). When ../shared/fs-traces is present, the copy must equal it byte for byte."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

VENDORED = Path(__file__).resolve().parents[1] / "data" / "fs-traces"
UPSTREAM = Path(__file__).resolve().parents[3] / "shared" / "fs-traces"


def test_each_recv_file_is_the_join_of_its_transcript_frames():
    recvs = sorted(VENDORED.glob("*.recv"))
    assert len(recvs) == 23
    for recv in recvs:
        lines = [json.loads(line) for line in recv.with_suffix(".jsonl").read_text().splitlines()]
        joined = "".join(line["data"] for line in lines if line["dir"] == "recv")
        assert joined.encode() == recv.read_bytes(), recv.name


@pytest.mark.skipif(not UPSTREAM.is_dir(), reason="../shared/fs-traces not beside this checkout")
def test_vendored_copy_equals_upstream():
    names = sorted(str(p.relative_to(UPSTREAM)) for p in UPSTREAM.rglob("*") if p.is_file())
    assert names == sorted(str(p.relative_to(VENDORED)) for p in VENDORED.rglob("*") if p.is_file())
    for name in names:
        assert (VENDORED / name).read_bytes() == (UPSTREAM / name).read_bytes(), name

"""careline.subjects and proto/careline/v1/SUBJECTS.md name the same things (design §4)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from careline import subjects
from careline.v1 import (
    acd_pb2,
    billing_pb2,
    call_pb2,
    cdr_pb2,
    common_pb2,
    consultation_pb2,
    crm_pb2,
    ledger_pb2,
)

SUBJECTS_MD = Path(__file__).resolve().parents[3] / "proto" / "careline" / "v1" / "SUBJECTS.md"
MESSAGES = {
    name
    for module in (acd_pb2, billing_pb2, call_pb2, cdr_pb2, common_pb2, consultation_pb2, crm_pb2, ledger_pb2)
    for name in module.DESCRIPTOR.message_types_by_name
}


def _table_rows() -> list[tuple[str, str, str, str]]:
    rows = []
    for line in SUBJECTS_MD.read_text().splitlines():
        if not line.startswith("| ") or line.startswith("| Constant"):
            continue
        cells = [c.strip() for c in re.split(r"(?<!\\)\|", line.strip())[1:-1]]
        name, value, kind, message = cells
        rows.append((name, value.strip("`"), kind, message.replace("\\|", "|")))
    return rows


def test_table_and_catalog_agree() -> None:
    catalog = [(e.name, e.value, e.kind, e.message) for e in subjects.CATALOG]
    assert _table_rows() == catalog


def test_catalog_covers_every_constant_and_values_match() -> None:
    for entry in subjects.CATALOG:
        assert getattr(subjects, entry.name) == entry.value
    upper = {n for n, v in vars(subjects).items() if n.isupper() and isinstance(v, str) and n != "PREFIX"}
    helpers = {"CALL_EVENTS_ALL"}  # the stream's wildcard, listed in the notes
    assert upper - helpers == {e.name for e in subjects.CATALOG}


def test_messages_named_in_the_table_exist() -> None:
    for entry in subjects.CATALOG:
        for name in re.findall(r"[A-Z][A-Za-z]+", entry.message):
            assert name in MESSAGES, f"{entry.name}: no message {name} in proto/careline/v1"


def test_streams_and_buckets_use_catalog_names() -> None:
    assert {s.name for s in subjects.STREAMS} == {e.value for e in subjects.CATALOG if e.kind == "stream"}
    assert {b.name for b in subjects.BUCKETS} == {e.value for e in subjects.CATALOG if e.kind == "kv"}


def test_every_message_subject_is_captured_by_exactly_one_stream_or_none() -> None:
    """Facts land in exactly one stream; requests and pushes in none (a stream would swallow replies)."""
    samples = {
        "jetstream": [subjects.call_event("u1", "hungup"), subjects.CDR_CREATED, subjects.LEDGER_POSTED],
        "core": [
            subjects.ACD_ENQUEUE,
            subjects.CRM_CALLER_LOOKUP,
            subjects.BILLING_CARD_AUTH,
            subjects.agent_screenpop("1001"),
        ],
    }

    def matches(pattern: str, subject: str) -> bool:
        p, s = pattern.split("."), subject.split(".")
        if p[-1] == ">":
            return len(s) >= len(p) and all(a in ("*", b) for a, b in zip(p[:-1], s, strict=False))
        return len(p) == len(s) and all(a in ("*", b) for a, b in zip(p, s, strict=True))

    def streams_for(subject: str) -> list[str]:
        return [st.name for st in subjects.STREAMS if any(matches(p, subject) for p in st.subjects)]

    for subject in samples["jetstream"]:
        assert len(streams_for(subject)) == 1, subject
    for subject in samples["core"]:
        assert streams_for(subject) == [], subject


@pytest.mark.parametrize("bad", ["", "a.b", "a*", ">", "a b"])
def test_subject_tokens_are_validated(bad: str) -> None:
    with pytest.raises(ValueError):
        subjects.call_event(bad, "started")
    with pytest.raises(ValueError):
        subjects.agent_screenpop(bad)


def test_unknown_call_event_is_refused() -> None:
    with pytest.raises(ValueError):
        subjects.call_event("u1", "ringing")
    assert subjects.call_event("u1", "answered") == "careline.call.u1.answered"

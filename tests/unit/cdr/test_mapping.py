"""CHANNEL_HANGUP_COMPLETE → one CDR per leg (R-CDR1), starting from the real captured event."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from careline.cdr.mapping import MappingError, cdr_from_headers
from careline.core.esl.protocol import FrameParser, event_from_frame

TRACE = Path(__file__).resolve().parents[2] / "data" / "fs-traces" / "a_inbound_sipp_call.plain.jsonl"
LEG = "ccaf42b6-f816-4e7d-9ba1-9ce41cf44c0f"


def real_hangup_complete() -> dict[str, str]:
    """The captured event, parsed by the project's own ESL parser (URL-decoded headers)."""
    parser = FrameParser()
    for line in TRACE.read_text().splitlines():
        entry = json.loads(line)
        if entry["dir"] != "recv" or not entry["data"]:
            continue
        for frame in parser.feed(entry["data"].encode()):
            if b"Event-Name: CHANNEL_HANGUP_COMPLETE" in frame.body:
                return dict(event_from_frame(frame).headers)
    raise AssertionError("no CHANNEL_HANGUP_COMPLETE in the trace")


@pytest.fixture(scope="module")
def event() -> dict[str, str]:
    return real_hangup_complete()


def test_real_inbound_leg(event):
    cdr = cdr_from_headers(event)
    assert cdr.uuid == LEG
    assert cdr.call_id == LEG  # an inbound leg without careline_call_id is its own call's caller leg
    assert cdr.other_leg_uuid is None
    assert cdr.direction == "inbound"
    assert cdr.caller_number == "sipp"
    assert cdr.destination_number == "9100"
    assert cdr.start_us == 1795640126799091  # the microsecond variant wins over start_epoch
    assert cdr.answer_us == 1795640126799091
    assert cdr.end_us == 1795640132819111
    assert (cdr.duration, cdr.billsec, cdr.waitsec) == (6, 6, 0)
    assert cdr.hangup_cause == "NORMAL_CLEARING"
    assert cdr.queue is None and cdr.agent is None and cdr.recording_path is None
    assert cdr.node == "vm"


def test_agent_leg_set_by_the_acd(event):
    agent_leg = dict(event)
    agent_leg.update(
        {
            "Unique-ID": "b-leg",
            "Call-Direction": "outbound",
            "variable_careline_call_id": LEG,
            "variable_careline_queue": "general",
            "variable_careline_agent": "1001",
            "Other-Leg-Unique-ID": LEG,
            "variable_careline_recording": "/recordings/x.wav",
        }
    )
    cdr = cdr_from_headers(agent_leg)
    assert (cdr.uuid, cdr.call_id, cdr.other_leg_uuid) == ("b-leg", LEG, LEG)
    assert (cdr.direction, cdr.queue, cdr.agent) == ("outbound", "general", "1001")
    assert cdr.recording_path == "/recordings/x.wav"


@pytest.mark.parametrize("key", ["Other-Leg-Unique-ID", "variable_bridge_uuid", "variable_last_bridge_to"])
def test_outbound_leg_without_careline_ids_joins_the_bridged_leg(event, key):
    leg = {k: v for k, v in event.items() if k not in ("Channel-Call-UUID", "variable_call_uuid")}
    leg.update({"Unique-ID": "b-leg", "Call-Direction": "outbound", key: "a-leg"})
    cdr = cdr_from_headers(leg)
    assert cdr.call_id == "a-leg"
    assert cdr.other_leg_uuid == "a-leg"


def test_unanswered_leg_with_second_epochs_only():
    cdr = cdr_from_headers(
        {
            "Event-Name": "CHANNEL_HANGUP_COMPLETE",
            "Unique-ID": "u1",
            "Call-Direction": "inbound",
            "Caller-Caller-ID-Number": "13912345678",
            "Caller-Destination-Number": "95000",
            "variable_start_epoch": "1000",
            "variable_answer_epoch": "0",
            "variable_end_epoch": "1012",
            "Hangup-Cause": "ORIGINATOR_CANCEL",
        }
    )
    assert cdr.start_us == 1000 * 1_000_000
    assert cdr.answer_us is None
    assert (cdr.duration, cdr.billsec, cdr.waitsec) == (12, 0, 12)
    assert cdr.hangup_cause == "ORIGINATOR_CANCEL"


def test_other_events_and_nameless_legs_are_refused(event):
    with pytest.raises(MappingError):
        cdr_from_headers({**event, "Event-Name": "CHANNEL_HANGUP"})
    with pytest.raises(MappingError):
        cdr_from_headers({"Event-Name": "CHANNEL_HANGUP_COMPLETE"})

"""What the intake keeps of a CHANNEL_HANGUP_COMPLETE (issue 15, R-CDR1): only the headers the CDR is made
from, looked up without splitting the event, and enough of them that the CDR is the same as from the
whole event. The guard below fails when careline/cdr/mapping.py starts reading a header missing from its
READS (which the intake keeps)."""

from __future__ import annotations

import ast
import json
from pathlib import Path

import careline.cdr.mapping as mapping
from careline.cdr.intake import CDR_HEADERS, Intake, decode, encode, pick_from_mapping, pick_headers
from careline.cdr.mapping import cdr_from_headers
from careline.core.esl.protocol import FrameParser, event_from_frame
from tests.unit.cdr.test_mapping import TRACE, real_hangup_complete


def _header_literals(tree: ast.AST) -> set[str]:
    """String constants of mapping.py that name headers (Caller-…, variable_…, …-ID)."""
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            text = node.value
            if text.endswith("_"):  # a piece of an f-string (variable_{what}_{unit}), checked below
                continue
            if text.startswith("variable_") or ("-" in text and " " not in text and text[:1].isupper()):
                names.add(text)
    return names


def _epoch_moments(tree: ast.AST) -> set[str]:
    """The "<what>" of every _epoch_us(h, "<what>") call (read as variable_<what>_uepoch / _epoch)."""
    return {
        node.args[1].value
        for node in ast.walk(tree)
        if isinstance(node, ast.Call)
        and getattr(node.func, "id", "") == "_epoch_us"
        and isinstance(node.args[1], ast.Constant)
    }


def test_every_header_the_mapping_reads_is_kept():
    tree = ast.parse(Path(mapping.__file__).read_text())
    wanted = _header_literals(tree)
    wanted |= {f"variable_{w}_{u}" for w in _epoch_moments(tree) for u in ("uepoch", "epoch")}
    assert wanted, "the guard found no header names in mapping.py"
    missing = wanted - set(CDR_HEADERS)
    assert not missing, f"add to careline.cdr.intake.CDR_HEADERS: {sorted(missing)}"


def _real_event():
    parser = FrameParser()
    for line in TRACE.read_text().splitlines():
        entry = json.loads(line)
        if entry["dir"] == "recv" and entry["data"]:
            for frame in parser.feed(entry["data"].encode()):
                if b"Event-Name: CHANNEL_HANGUP_COMPLETE" in frame.body:
                    return event_from_frame(frame)
    raise AssertionError("no CHANNEL_HANGUP_COMPLETE in the trace")


def test_the_kept_headers_make_the_same_cdr_as_the_whole_event():
    event = _real_event()
    picked = pick_headers(event)
    assert event._headers is None  # looked up one by one: the ~200-header block was never split
    whole = real_hangup_complete()
    assert len(picked) < len(whole) / 3
    assert cdr_from_headers(decode(encode(picked))) == cdr_from_headers(whole)
    assert pick_from_mapping(whole) == picked


def test_a_careline_leg_keeps_its_tags():
    headers = real_hangup_complete() | {
        "variable_careline_call_id": "caller-leg",
        "variable_careline_queue": "general",
        "variable_careline_agent": "1001",
        "variable_careline_recording": "/recordings/x.wav",
        "Call-Direction": "outbound",
    }
    cdr = cdr_from_headers(decode(encode(pick_from_mapping(headers))))
    assert (cdr.call_id, cdr.queue, cdr.agent, cdr.recording_path) == (
        "caller-leg",
        "general",
        "1001",
        "/recordings/x.wav",
    )


class FlakyBus:
    """JetStream that refuses the first `failures` publishes (NATS away), then stores, deduplicating."""

    def __init__(self, failures: int) -> None:
        self.failures, self.attempts, self.stored = failures, 0, {}

    async def publish_raw(self, subject, data, *, msg_id, timeout=5.0):
        self.attempts += 1
        if self.attempts <= self.failures:
            raise ConnectionError("nats: connection closed")
        duplicate = msg_id in self.stored
        self.stored.setdefault(msg_id, data)
        return type("PubAck", (), {"duplicate": duplicate})()


async def test_legs_wait_in_the_intake_while_nats_refuses_and_are_published_once_it_takes_them():
    bus = FlakyBus(failures=5)
    intake = Intake(bus, retry_max=0.02)
    legs = [real_hangup_complete() | {"Unique-ID": f"leg-{n}"} for n in range(3)]
    for headers in legs:
        intake.take(pick_from_mapping(headers))
    intake.take(pick_from_mapping(legs[0]))  # the same leg again (a second link)
    intake.take({"Event-Name": "CHANNEL_HANGUP_COMPLETE"})  # no leg uuid: nothing to store
    intake.start()
    await intake.stop(within=10)  # drains: returns once JetStream has every queued leg
    assert set(bus.stored) == {"leg-0", "leg-1", "leg-2"} and bus.attempts > 4
    assert (intake.published, intake.duplicates, intake.ignored, intake.queued) == (3, 1, 1, 0)
    assert cdr_from_headers(decode(bus.stored["leg-1"])).uuid == "leg-1"

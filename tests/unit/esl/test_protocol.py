"""Frame parser and EslEvent against the real FreeSWITCH transcripts (design §2, defects 1, 5, 6, 7)."""

from __future__ import annotations

import random

import pytest

from careline.core.esl.protocol import (
    FrameError,
    FrameParser,
    encode_command,
    event_from_frame,
)

from .traces import RECV_FILES, TRACES, recorded_frames


def test_every_trace_is_present():
    assert len(RECV_FILES) >= 23


@pytest.mark.parametrize("recv", RECV_FILES, ids=lambda p: p.name)
def test_whole_stream_gives_recorded_frames(recv):
    parser = FrameParser()
    frames = parser.feed(recv.read_bytes())
    parser.close()
    assert [f.raw for f in frames] == recorded_frames(recv)


@pytest.mark.parametrize("recv", RECV_FILES, ids=lambda p: p.name)
@pytest.mark.parametrize("seed", [1, 2])
def test_random_chunks_give_recorded_frames(recv, seed):
    rng = random.Random(seed)
    data = recv.read_bytes()
    parser, frames, pos = FrameParser(), [], 0
    while pos < len(data):
        step = rng.choice([1, 2, 7, 64, 1000, 4096, 70000])
        frames += parser.feed(data[pos : pos + step])
        pos += step
    parser.close()
    assert [f.raw for f in frames] == recorded_frames(recv)


@pytest.mark.parametrize("recv", RECV_FILES, ids=lambda p: p.name)
def test_events_parse_into_headers_and_body(recv):
    frames = FrameParser().feed(recv.read_bytes())
    for frame in frames:
        event = event_from_frame(frame)
        if frame.content_type in ("text/event-plain", "text/event-json"):
            assert event.name and event.headers["Event-Name"] == event.name
            assert event.headers["Core-UUID"] == "6b7b724e-c07d-4b0b-96b1-e10a1652f18e"
            if event.name == "CUSTOM":
                assert event.subclass == event.headers["Event-Subclass"]
            if "Unique-ID" in event.headers:
                assert event.uuid == event.headers["Unique-ID"]


@pytest.mark.parametrize("fmt", ["plain", "json"])
def test_background_job_body_is_separate(fmt):
    """Defect 7: the BACKGROUND_JOB result is the body, not folded into Content-Length."""
    frames = FrameParser().feed((TRACES / f"h2_error_replies.{fmt}.recv").read_bytes())
    jobs = [event_from_frame(f) for f in frames if b"BACKGROUND_JOB" in f.body]
    assert len(jobs) == 1
    assert jobs[0].body == "-ERR nosuchcommand Command not found!\n"
    assert jobs[0]["Content-Length"] == "38"
    assert jobs[0]["Job-Command"] == "nosuchcommand"


def test_bgapi_originate_body():
    frames = FrameParser().feed((TRACES / "b_originate_loopback.plain.recv").read_bytes())
    job = next(e for e in map(event_from_frame, frames) if e.name == "BACKGROUND_JOB")
    assert job.body.startswith("+OK ") and job.body.endswith("\n")


@pytest.mark.parametrize("fmt", ["plain", "json"])
def test_outbound_connect_reply_without_content_length(fmt):
    frames = FrameParser().feed((TRACES / f"g_outbound_socket.{fmt}.recv").read_bytes())
    connect = event_from_frame(frames[0])
    assert frames[0].content_type == "command/reply" and frames[0].body == b""
    assert connect["Reply-Text"] == "+OK\n"
    assert connect.name == "CHANNEL_DATA"
    assert connect["Socket-Mode"] == "async" and connect["Control"] == "full"
    assert connect["variable_current_application_data"] == "127.0.0.1:8084 async full"
    assert len(connect.headers) > 100
    notices = [f for f in frames if f.content_type == "text/disconnect-notice"]
    assert [event_from_frame(n)["Content-Disposition"] for n in notices] == ["linger", "disconnect"]
    assert len(notices[-1].body) == 67


def test_percent_0a_cannot_inject_a_header():
    """Defect 6: split lines before URL-decoding."""
    body = b"Event-Name: CHANNEL_ANSWER\nvariable_x: a%0AEvent-Name%3A%20INJECTED\n\n"
    frame = FrameParser().feed(b"Content-Length: %d\nContent-Type: text/event-plain\n\n" % len(body) + body)[
        0
    ]
    event = event_from_frame(frame)
    assert event.name == "CHANNEL_ANSWER"
    assert event["variable_x"] == "a\nEvent-Name: INJECTED"
    assert list(event.headers) == ["Event-Name", "variable_x"]


def test_cut_in_body_is_an_error_not_a_spin():
    """Defect 1: EOF inside a body is reported by close()."""
    parser = FrameParser()
    assert parser.feed(b"Content-Length: 100\nContent-Type: text/event-plain\n\nEvent-Name: X\n") == []
    with pytest.raises(FrameError):
        parser.close()


def test_bad_content_length():
    with pytest.raises(FrameError):
        FrameParser().feed(b"Content-Type: api/response\nContent-Length: abc\n\n")


def test_json_values_are_not_url_decoded():
    body = b'{"Event-Name":"CUSTOM","Event-Subclass":"conference::maintenance","X":"a%20b","_body":"hi"}'
    frame = FrameParser().feed(b"Content-Length: %d\nContent-Type: text/event-json\n\n" % len(body) + body)[0]
    event = event_from_frame(frame)
    assert (event.name, event.subclass) == ("CUSTOM", "conference::maintenance")
    assert event["X"] == "a%20b"
    assert event.body == "hi"


def test_encode_command_with_body_counts_bytes():
    raw = encode_command("sendmsg", {"call-command": "execute", "execute-app-name": "playback"}, "é")
    assert raw.endswith(b"content-type: text/plain\ncontent-length: 2\n\n\xc3\xa9")
    with pytest.raises(ValueError):
        encode_command("api status\nexit")

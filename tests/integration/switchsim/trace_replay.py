"""Raw-socket ESL client and trace comparison helpers for the conformance tests (design §7)."""

from __future__ import annotations

import asyncio
import json
import re
import urllib.parse
from pathlib import Path

TRACES = Path(__file__).resolve().parents[2] / "data" / "fs-traces"  # vendored copy of ../shared/fs-traces
# Events the simulator does not reproduce one-for-one (timers, loopback's renaming).
IGNORED = {"CHANNEL_UUID", "HEARTBEAT", "RE_SCHEDULE"}


def ignored(ev: dict) -> bool:
    """CODEC is compared for a SIP leg's media set-up (before answer) only: loopback legs' codec set-up
    and a conference's re-negotiation are not modelled (issue 8 added the SIP legs' two CODEC events)."""
    if ev["Event-Name"] in IGNORED:
        return True
    setup = ev.get("Channel-Name", "").startswith("sofia/") and ev.get("Answer-State") == "ringing"
    return ev["Event-Name"] == "CODEC" and not setup


KEYS = ["Event-Subclass", "Channel-State", "Channel-State-Number", "Channel-Call-State",
        "Original-Channel-Call-State", "Answer-State", "Call-Direction", "Caller-Source", "Application",
        "Application-Data", "Application-Response", "Hangup-Cause", "DTMF-Digit", "DTMF-Source", "Action",
        "Job-UUID", "variable_pagd_digits", "Other-Leg-Unique-ID", "Media-Bug-Function",
        "Record-Completion-Cause", "force-status", "Playback-File-Path"]  # fmt: skip


def load(name: str) -> list[dict]:
    return [json.loads(line) for line in (TRACES / f"{name}.jsonl").open()]


def parse_frame(data: str) -> tuple[dict[str, str], str]:
    head, _, body = data.partition("\n\n")
    h = {}
    for line in head.split("\n"):
        if ": " in line:
            k, v = line.split(": ", 1)
            h[k] = v
    return h, body


def event_of(data: str) -> dict | None:
    h, body = parse_frame(data)
    if h.get("Content-Type") == "text/event-plain":
        eh, eb = parse_frame(body)
        ev = {k: urllib.parse.unquote(v) for k, v in eh.items()}
        ev["_body"] = eb
        return ev
    if h.get("Content-Type") == "text/event-json":
        return json.loads(body)
    return None


def split_frames(stream: bytes) -> list[str]:
    """Complete ESL frames of a byte stream (a trailing partial frame is left out)."""
    frames, pos = [], 0
    while pos < len(stream):
        end = stream.find(b"\n\n", pos)
        if end < 0:
            break
        h, _ = parse_frame(stream[pos:end].decode() + "\n\n")
        stop = end + 2 + int(h.get("Content-Length", 0))
        if stop > len(stream):
            break
        frames.append(stream[pos:stop].decode())
        pos = stop
    return frames


EVENT_TYPES = ("text/event-plain", "text/event-json")


def replies(frames: list[str]) -> list[tuple[str, str, str]]:
    """Non-event frames: (Content-Type, Reply-Text, body) in order (outer headers only: cheap to re-run)."""
    out = []
    for f in frames:
        h, _ = parse_frame(f[: f.find("\n\n") + 2])
        if h.get("Content-Type") not in EVENT_TYPES:
            h, body = parse_frame(f)
            out.append((h.get("Content-Type", ""), h.get("Reply-Text", ""), body))
    return out


def norm_reply(reply: tuple[str, str, str]) -> tuple:
    """`show channels` rows hold timestamps: compare their line count. `conference list` member ids come
    from a server-wide counter: compare every field but the id."""
    ctype, text, body = reply
    if body.startswith("uuid,"):
        return ctype, text, body.count("\n")
    if body.startswith("task_id,"):  # show tasks: ids and run times depend on the server's history
        return ctype, text, re.sub(r"(?m)^\d+,([^,]*,[^,]*),\d+,", r"#,\1,#,", body)
    if re.match(r"\d+;", body):
        return ctype, text, re.sub(r"(?m)^\d+;", "#;", body)
    return reply


def per_channel(frames: list[str], keep=None) -> dict[str, list[tuple]]:
    """Event key tuples grouped by Unique-ID (global events under '-')."""
    out: dict[str, list[tuple]] = {}
    for f in frames:
        ev = event_of(f)
        if ev is None or ignored(ev):
            continue
        if keep is not None and not keep(ev):
            continue
        key = (ev["Event-Name"],) + tuple((k, ev[k]) for k in KEYS if k in ev)
        out.setdefault(ev.get("Unique-ID", "-"), []).append(key)
    return out


def channel_names(frames: list[str]) -> dict[str, str]:
    names = {}
    for f in frames:
        ev = event_of(f)
        if ev and ev.get("Unique-ID") and ev.get("Channel-Name"):
            names.setdefault(ev["Unique-ID"], ev["Channel-Name"])
    return names


class Client:
    def __init__(self, reader, writer):
        self.reader, self.writer = reader, writer
        self.data = b""
        self._frames: list[str] = []
        self._parsed = 0  # bytes of self.data already split into self._frames
        self.arrived = asyncio.Event()  # set on every read: waiters wake at once, not on a poll tick
        self.task = asyncio.ensure_future(self._read())

    @classmethod
    async def connect(cls, port: int) -> Client:
        r, w = await asyncio.open_connection("127.0.0.1", port)
        return cls(r, w)

    async def _read(self):
        while True:
            chunk = await self.reader.read(65536)
            if not chunk:
                return
            self.data += chunk
            self.arrived.set()

    def send(self, text: str) -> None:
        self.writer.write(text.encode())

    async def wait_for(self, predicate, timeout: float = 5.0) -> None:
        loop = asyncio.get_running_loop()
        end = loop.time() + timeout
        # Event-driven: a 10 ms poll is 0.2 simulated seconds at SCALE 0.05 and skews send times.
        while not predicate(self.frames()):
            self.arrived.clear()
            if predicate(self.frames()):
                break
            left = end - loop.time()
            if left <= 0 or self.task.done():
                raise AssertionError("timed out waiting for frames")
            try:
                await asyncio.wait_for(self.arrived.wait(), left)
            except TimeoutError:
                pass

    async def closed(self, timeout: float = 5.0) -> None:
        await asyncio.wait_for(self.task, timeout)

    def frames(self) -> list[str]:
        """Complete frames so far, split incrementally (re-splitting a large stream per read is quadratic)."""
        rest = self.data[self._parsed :]
        new = split_frames(rest)
        self._parsed += sum(len(f.encode()) for f in new)
        self._frames.extend(new)
        return list(self._frames)

"""The event factory: core headers (Core-UUID, host, dates, origin) and sequence numbers (design §7)."""

from __future__ import annotations

import itertools
import time

from ..wire.event import EVENT_NAMES, Event

CORE_UUID = "6b7b724e-c07d-4b0b-96b1-e10a1652f18e"


# Where the real switch says it fired each event (Event-Calling-*); cosmetic but kept realistic.
_ORIGIN = {
    "CHANNEL_STATE": ("switch_channel.c", "switch_channel_perform_set_running_state", "2409"),
    "CHANNEL_CALLSTATE": ("switch_channel.c", "switch_channel_perform_set_callstate", "302"),
    "CHANNEL_CREATE": ("switch_core_state_machine.c", "switch_core_session_run", "626"),
    "CHANNEL_ANSWER": ("switch_channel.c", "switch_channel_perform_mark_answered", "3848"),
    "CHANNEL_EXECUTE": ("switch_core_session.c", "switch_core_session_exec", "2949"),
    "CHANNEL_EXECUTE_COMPLETE": ("switch_core_session.c", "switch_core_session_exec", "2991"),
    "API": ("switch_loadable_module.c", "switch_api_execute", "3140"),
    "BACKGROUND_JOB": ("mod_event_socket.c", "api_exec", "1580"),
    "CHANNEL_DATA": ("mod_event_socket.c", "parse_command", "2016"),
    "HEARTBEAT": ("switch_core.c", "send_heartbeat", "83"),
}

_seq = itertools.count(1)


def date_headers(now: float | None = None) -> list[tuple[str, str]]:
    now = time.time() if now is None else now
    return [
        ("Event-Date-Local", time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(now))),
        ("Event-Date-GMT", time.strftime("%a, %d %b %Y %H:%M:%S GMT", time.gmtime(now))),
        ("Event-Date-Timestamp", str(int(now * 1_000_000))),
    ]


def core_headers(name: str, subclass: str | None = None) -> list[tuple[str, str]]:
    f, fn, line = _ORIGIN.get(name, ("switch_channel.c", "switch_channel_event_set_data", "0"))
    head = [("Event-Subclass", subclass)] if subclass else []
    return (
        head
        + [
            ("Event-Name", name),
            ("Core-UUID", CORE_UUID),
            ("FreeSWITCH-Hostname", "vm"),
            ("FreeSWITCH-Switchname", "vm"),
            ("FreeSWITCH-IPv4", "192.0.2.2"),
            ("FreeSWITCH-IPv6", "fd00::2"),
        ]
        + date_headers()
        + [
            ("Event-Calling-File", f),
            ("Event-Calling-Function", fn),
            ("Event-Calling-Line-Number", line),
            ("Event-Sequence", str(next(_seq))),
        ]
    )


def make_event(name: str, extra: list[tuple[str, str]] = (), body: str = "", subclass: str | None = None):
    return Event(name, core_headers(name, subclass) + list(extra), body)


__all__ = ["CORE_UUID", "EVENT_NAMES", "Event", "core_headers", "date_headers", "make_event"]

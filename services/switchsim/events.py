"""Events: core headers, sequence numbers, the list of names `event` accepts (design §7)."""

from __future__ import annotations

import itertools
import time

from . import wire

CORE_UUID = "6b7b724e-c07d-4b0b-96b1-e10a1652f18e"

EVENT_NAMES = frozenset(
    """CUSTOM CLONE CHANNEL_CREATE CHANNEL_DESTROY CHANNEL_STATE CHANNEL_CALLSTATE CHANNEL_ANSWER
    CHANNEL_HANGUP CHANNEL_HANGUP_COMPLETE CHANNEL_EXECUTE CHANNEL_EXECUTE_COMPLETE CHANNEL_HOLD
    CHANNEL_UNHOLD CHANNEL_BRIDGE CHANNEL_UNBRIDGE CHANNEL_PROGRESS CHANNEL_PROGRESS_MEDIA
    CHANNEL_OUTGOING CHANNEL_PARK CHANNEL_UNPARK CHANNEL_APPLICATION CHANNEL_ORIGINATE CHANNEL_UUID
    API LOG INBOUND_CHAN OUTBOUND_CHAN STARTUP SHUTDOWN PUBLISH UNPUBLISH TALK NOTALK SESSION_CRASH
    MODULE_LOAD MODULE_UNLOAD DTMF MESSAGE PRESENCE_IN NOTIFY_IN PRESENCE_OUT PRESENCE_PROBE
    MESSAGE_WAITING MESSAGE_QUERY ROSTER CODEC BACKGROUND_JOB DETECTED_SPEECH DETECTED_TONE
    PRIVATE_COMMAND HEARTBEAT TRAP ADD_SCHEDULE DEL_SCHEDULE EXE_SCHEDULE RE_SCHEDULE RELOADXML
    NOTIFY PHONE_FEATURE PHONE_FEATURE_SUBSCRIBE SEND_MESSAGE RECV_MESSAGE REQUEST_PARAMS
    CHANNEL_DATA GENERAL COMMAND SESSION_HEARTBEAT CLIENT_DISCONNECTED SERVER_DISCONNECTED
    SEND_INFO RECV_INFO RECV_RTCP_MESSAGE SEND_RTCP_MESSAGE CALL_SECURE NAT RECORD_START
    RECORD_STOP PLAYBACK_START PLAYBACK_STOP CALL_UPDATE FAILURE SOCKET_DATA MEDIA_BUG_START
    MEDIA_BUG_STOP CONFERENCE_DATA_QUERY CONFERENCE_DATA CALL_SETUP_REQ CALL_SETUP_RESULT
    CALL_DETAIL DEVICE_STATE TEXT SHUTDOWN_REQUESTED ALL""".split()
)

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


class Event:
    """A fired event; frames are rendered once per format and shared by every listener."""

    __slots__ = ("name", "headers", "body", "_frames", "_lookup")

    def __init__(self, name: str, headers: list[tuple[str, str]], body: str = ""):
        self.name = name
        self.headers = headers
        self.body = body
        self._frames: dict[str, bytes] = {}
        self._lookup: dict[str, str] | None = None

    def get(self, header: str) -> str | None:
        if self._lookup is None:
            self._lookup = {k.lower(): v for k, v in self.headers}
        return self._lookup.get(header.lower())

    @property
    def subclass(self) -> str | None:
        return self.get("Event-Subclass")

    def frame(self, fmt: str) -> bytes:
        if fmt not in self._frames:
            self._frames[fmt] = wire.event_frame(self.headers, self.body, fmt)
        return self._frames[fmt]


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

"""An ESL event as data and its frames (plain/json), rendered once per format (design §7).

No channel knowledge lives here: the model builds the headers, the wire only serialises them."""

from __future__ import annotations

from . import framing

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
            self._frames[fmt] = framing.event_frame(self.headers, self.body, fmt)
        return self._frames[fmt]

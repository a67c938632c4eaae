"""Layer 0 — the ESL wire: framing, header encoding, event serialisation (plain/json). Imports nothing
above it (see tests/unit/switchsim/test_layers.py)."""

from .event import EVENT_NAMES, Event
from .framing import (
    DISCONNECT_BODY,
    Command,
    api_response,
    command_reply,
    disconnect_notice,
    event_frame,
    plain_headers,
    read_command,
    url_encode,
)

__all__ = ["EVENT_NAMES", "Event", "DISCONNECT_BODY", "Command", "api_response", "command_reply",
           "disconnect_notice", "event_frame", "plain_headers", "read_command", "url_encode"]  # fmt: skip

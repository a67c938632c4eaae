"""From a FreeSWITCH CHANNEL_HANGUP_COMPLETE event to one call detail record (R-CDR1).

Pure: takes the event's (already URL-decoded) headers as a mapping, so it is tested on the real
captured event (../shared/fs-traces/a_inbound_sipp_call) and knows nothing of ESL links.

How the legs of one call are tied together (design §3): the IVR sets ``careline_call_id`` (the
caller leg's uuid) on the caller leg, and the ACD sets ``careline_call_id``, ``careline_queue`` and
``careline_agent`` on the agent leg it originates. A leg without those (a call that never reached
the IVR, a transfer made outside careline) falls back to what FreeSWITCH knows of the other leg.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass

__all__ = ["CdrRecord", "MappingError", "cdr_from_headers"]

_OTHER_LEG_KEYS = ("Other-Leg-Unique-ID", "variable_bridge_uuid", "variable_last_bridge_to")


class MappingError(ValueError):
    """The event cannot become a CDR (no leg uuid, not a hangup)."""


@dataclass(frozen=True)
class CdrRecord:
    """One ended call leg. Times are Unix microseconds (None when the moment never came)."""

    uuid: str
    call_id: str
    other_leg_uuid: str | None
    direction: str
    caller_number: str
    destination_number: str
    queue: str | None
    agent: str | None
    start_us: int
    answer_us: int | None
    end_us: int
    duration: int
    billsec: int
    waitsec: int
    hangup_cause: str
    recording_path: str | None
    node: str | None

    def as_dict(self) -> dict:
        return asdict(self)


def cdr_from_headers(h: Mapping[str, str]) -> CdrRecord:
    name = h.get("Event-Name")
    if name is not None and name != "CHANNEL_HANGUP_COMPLETE":
        raise MappingError(f"{name} is not CHANNEL_HANGUP_COMPLETE")
    uuid = _text(h, "Unique-ID", "variable_uuid", "Caller-Unique-ID")
    if not uuid:
        raise MappingError("event has no Unique-ID")
    direction = (_text(h, "Call-Direction", "variable_direction", "Caller-Direction") or "inbound").lower()
    other = _text(h, *_OTHER_LEG_KEYS)
    start = (
        _epoch_us(h, "start") or _epoch_us(h, "profile_start") or _header_us(h, "Caller-Channel-Created-Time")
    )
    answer = _epoch_us(h, "answer") or _header_us(h, "Caller-Channel-Answered-Time")
    end = _epoch_us(h, "end") or _header_us(h, "Caller-Channel-Hangup-Time") or start
    if start is None:
        raise MappingError(f"leg {uuid} has no start time")
    return CdrRecord(
        uuid=uuid,
        call_id=_call_id(h, uuid, direction, other),
        other_leg_uuid=other or None,
        direction=direction,
        caller_number=_text(h, "Caller-Caller-ID-Number", "variable_caller_id_number", "Caller-ANI") or "",
        destination_number=_text(h, "Caller-Destination-Number", "variable_destination_number") or "",
        queue=_text(h, "variable_careline_queue") or None,
        agent=_text(h, "variable_careline_agent") or None,
        start_us=start,
        answer_us=answer,
        end_us=end,
        duration=_seconds(h, "variable_duration", end - start),
        billsec=_seconds(h, "variable_billsec", (end - answer) if answer else 0),
        waitsec=_seconds(h, "variable_waitsec", ((answer or end) - start)),
        hangup_cause=_text(h, "variable_hangup_cause", "Hangup-Cause") or "NONE",
        recording_path=_text(h, "variable_careline_recording") or None,
        node=_text(h, "FreeSWITCH-Hostname") or None,
    )


def _call_id(h: Mapping[str, str], uuid: str, direction: str, other: str | None) -> str:
    """The caller leg's uuid: set by careline, else guessed from the leg's position in the call."""
    explicit = _text(h, "variable_careline_call_id")
    if explicit:
        return explicit
    if direction == "inbound":
        return uuid  # an inbound leg is the caller leg of its own call
    # An originated (outbound) leg belongs to the call of the leg it was bridged to.
    return other or _text(h, "Channel-Call-UUID", "variable_call_uuid") or uuid


def _text(h: Mapping[str, str], *keys: str) -> str | None:
    for key in keys:
        value = h.get(key)
        if value:
            return value.strip()
    return None


def _int(value: str | None) -> int | None:
    try:
        return int(value) if value not in (None, "") else None
    except ValueError:
        return None


def _epoch_us(h: Mapping[str, str], what: str) -> int | None:
    """``variable_<what>_uepoch`` (µs) if present, else ``variable_<what>_epoch`` (s); 0 means never."""
    micro = _int(h.get(f"variable_{what}_uepoch"))
    if micro:
        return micro
    seconds = _int(h.get(f"variable_{what}_epoch"))
    return seconds * 1_000_000 if seconds else None


def _header_us(h: Mapping[str, str], key: str) -> int | None:
    return _int(h.get(key)) or None


def _seconds(h: Mapping[str, str], key: str, fallback_us: int) -> int:
    given = _int(h.get(key))
    return given if given is not None else max(0, round(fallback_us / 1_000_000))

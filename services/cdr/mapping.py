"""From a FreeSWITCH CHANNEL_HANGUP_COMPLETE event to one call detail record (R-CDR1).

Pure: takes the event's (already URL-decoded) headers as a mapping, so it is tested on the real
captured event (../shared/fs-traces/a_inbound_sipp_call) and knows nothing of ESL links.

How the legs of one call are tied together (design §3): the IVR sets ``careline_call_id`` (the
caller leg's uuid) on the caller leg, and the ACD sets ``careline_call_id``, ``careline_queue`` and
``careline_agent`` on every leg it originates (agent offer, consult, conference, callback, outbound
call, the supervisor's eavesdrop), with ``careline_leg`` saying which kind it is. A leg without those
(a call that never reached the IVR, a transfer made outside careline) falls back to what FreeSWITCH
knows of the other leg.

The number dialled (issue 8 "records right"): FreeSWITCH reports a leg's *current* caller profile, so
after a transfer ``Caller-Destination-Number`` is the transfer's extension (``careline_after_ivr``,
``careline-acd-hold``), not the number the caller dialled. ``destination_number`` is the number
dialled, taken from, in order:
1. ``careline_entry_number`` (freeswitch-conf's public context sets it once, at entry, before the IVR),
   ``careline_dialed_number`` or ``dialed_number``;
2. the SIP request: ``sip_req_user`` (inbound: the Request-URI's user, the number dialled) or
   ``sip_to_user`` (the To user; an outbound leg's dialled user) — neither changes on a transfer;
3. the current destination while the leg is still on its first caller profile (``Caller-Profile-Index``
   1 and no ``transfer_history``; the simulator keeps index 1 through transfers, hence after 2);
4. ``Caller-RDNIS`` after exactly one transfer (the destination before it);
5. the current destination.
``last_destination`` keeps the current one (where the leg ended up).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, fields

__all__ = ["READS", "CdrRecord", "MappingError", "cdr_from_headers"]

_OTHER_LEG_KEYS = ("Other-Leg-Unique-ID", "variable_bridge_uuid", "variable_last_bridge_to")


_TIMES = tuple(
    f"variable_{what}_{unit}"
    for what in ("start", "profile_start", "answer", "end")
    for unit in ("uepoch", "epoch")
)
# Every header cdr_from_headers reads, for whoever trims events before mapping them (the CDR intake).
READS: tuple[str, ...] = (
    "Event-Name",
    "Unique-ID",
    "variable_uuid",
    "Caller-Unique-ID",
    "Call-Direction",
    "variable_direction",
    "Caller-Direction",
    *_OTHER_LEG_KEYS,
    *_TIMES,
    "Caller-Channel-Created-Time",
    "Caller-Channel-Answered-Time",
    "Caller-Channel-Hangup-Time",
    "variable_careline_call_id",
    "Channel-Call-UUID",
    "variable_call_uuid",
    "Caller-Caller-ID-Number",
    "variable_caller_id_number",
    "variable_origination_caller_id_number",
    "Caller-Orig-Caller-ID-Number",
    "Caller-ANI",
    "Caller-Destination-Number",
    "variable_destination_number",
    "variable_careline_entry_number",
    "variable_careline_dialed_number",
    "variable_dialed_number",
    "Caller-Profile-Index",
    "variable_transfer_history",
    "variable_sip_req_user",
    "variable_sip_to_user",
    "Caller-RDNIS",
    "variable_careline_queue",
    "variable_careline_agent",
    "variable_careline_leg",
    "variable_duration",
    "variable_billsec",
    "variable_waitsec",
    "variable_hangup_cause",
    "Hangup-Cause",
    "variable_careline_recording",
    "FreeSWITCH-Hostname",
)


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
    # Known from the event but not (yet) columns of the CDR table: left out of as_dict().
    last_destination: str | None = field(default=None, metadata={"stored": False})
    leg_kind: str | None = field(default=None, metadata={"stored": False})  # careline_leg: offer, eavesdrop…

    def as_dict(self) -> dict:
        """The stored columns (what a CDR row is made of)."""
        return {f.name: getattr(self, f.name) for f in fields(self) if f.metadata.get("stored", True)}

    def as_full_dict(self) -> dict:
        return {f.name: getattr(self, f.name) for f in fields(self)}


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
        caller_number=_caller_number(h, direction),
        destination_number=_dialled(h, direction),
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
        last_destination=_current_destination(h) or None,
        leg_kind=_text(h, "variable_careline_leg") or None,
    )


def _caller_number(h: Mapping[str, str], direction: str) -> str:
    """The caller ID the leg was given. On an outbound leg FreeSWITCH reports at hangup the far end's
    number (or ``default`` on loopback) as ``Caller-Caller-ID-Number`` (traces b, b2): the originated
    one is kept in ``origination_caller_id_number`` / ``Caller-Orig-Caller-ID-Number``."""
    keys = ("Caller-Caller-ID-Number", "variable_caller_id_number", "Caller-ANI")
    if direction == "outbound":
        keys = ("variable_origination_caller_id_number", "Caller-Orig-Caller-ID-Number", *keys)
    return _text(h, *keys) or ""


def _current_destination(h: Mapping[str, str]) -> str:
    return _text(h, "Caller-Destination-Number", "variable_destination_number") or ""


def _dialled(h: Mapping[str, str], direction: str) -> str:
    """The number the caller dialled, through transfers (see the module docstring for the order)."""
    explicit = _text(
        h, "variable_careline_entry_number", "variable_careline_dialed_number", "variable_dialed_number"
    )
    if explicit:
        return explicit
    sip = _text(h, "variable_sip_req_user", "variable_sip_to_user") if direction == "inbound" else None
    sip = sip or _text(h, "variable_sip_to_user")
    if sip:
        return sip
    current = _current_destination(h)
    history = _transfers(h)
    if _int(h.get("Caller-Profile-Index")) == 1 and not history:
        return current
    rdnis = _text(h, "Caller-RDNIS")
    if rdnis and len(history) == 1:
        return rdnis
    return current


def _call_id(h: Mapping[str, str], uuid: str, direction: str, other: str | None) -> str:
    """The caller leg's uuid: set by careline, else guessed from the leg's position in the call."""
    explicit = _text(h, "variable_careline_call_id")
    if explicit:
        return explicit
    if direction == "inbound":
        return uuid  # an inbound leg is the caller leg of its own call
    # An originated (outbound) leg belongs to the call of the leg it was bridged to.
    return other or _text(h, "Channel-Call-UUID", "variable_call_uuid") or uuid


def _transfers(h: Mapping[str, str]) -> list[str]:
    """``transfer_history``: one entry, or several as a FreeSWITCH array (``ARRAY::a|:b``)."""
    value = (h.get("variable_transfer_history") or "").strip().removeprefix("ARRAY::")
    return [entry for entry in value.split("|:") if entry.strip()]


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

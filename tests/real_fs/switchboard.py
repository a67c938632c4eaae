"""What the real switch says about each call, from an ESL link of the test's own (issue 8).

Every event of interest is kept per channel (``Unique-ID``) with the loop time it arrived, so a test can
wait for a prompt, see what was played and how it ended (PLAYBACK_START/STOP, CHANNEL_EXECUTE_COMPLETE's
Application-Response), which keys the switch detected (DTMF) and compare with the RTP the phone received.
A played path is matched by substring: the switch reports the path it opened (sound_prefix applied).
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from careline.core.esl import EslClient, EslEvent
from tests.e2e.support import wait_until

EVENTS = (
    "CHANNEL_CREATE CHANNEL_ANSWER CHANNEL_BRIDGE CHANNEL_UNBRIDGE CHANNEL_HANGUP CHANNEL_HANGUP_COMPLETE "
    "CHANNEL_EXECUTE CHANNEL_EXECUTE_COMPLETE PLAYBACK_START PLAYBACK_STOP DTMF CHANNEL_HOLD CHANNEL_UNHOLD "
    "CHANNEL_CALLSTATE RECORD_START RECORD_STOP"
).split()


@dataclass(frozen=True)
class Seen:
    at: float
    name: str
    headers: dict[str, str]

    def get(self, key: str, default: str = "") -> str:
        return self.headers.get(key, default)

    @property
    def switch_time(self) -> float:
        """When the switch fired it (Event-Date-Timestamp, epoch seconds)."""
        return int(self.headers["Event-Date-Timestamp"]) / 1e6


_KEEP = (
    "Event-Date-Timestamp Unique-ID Other-Leg-Unique-ID Caller-Caller-ID-Number Caller-Destination-Number "
    "Call-Direction "
    "Application Application-Data Application-Response Application-UUID Playback-File-Path "
    "Playback-Status DTMF-Digit DTMF-Source Hangup-Cause Channel-Call-State Answer-State "
    "variable_sip_call_id variable_careline_call_id variable_careline_lang variable_current_application "
    "variable_playback_last_offset_pos variable_read_result variable_hold_music "
    "variable_rtp_audio_in_packet_count variable_rtp_audio_out_packet_count "
    "variable_rtp_audio_in_media_packet_count variable_rtp_audio_out_media_packet_count"
).split()


class Switchboard:
    def __init__(self, env) -> None:
        self.env = env
        self.esl = EslClient(env.esl_host, env.esl_port, env.esl_password, name="test-real-fs")
        self.events: dict[str, list[Seen]] = {}
        self.by_call_id: dict[str, str] = {}

    async def start(self) -> Switchboard:
        self.esl.subscribe(EVENTS, self._on_event)
        await self.esl.start()
        return self

    async def close(self) -> None:
        await self.esl.close()

    def _on_event(self, event: EslEvent) -> None:
        uuid = event.get("Unique-ID")
        if not uuid:
            return
        headers = {k: event.get(k) for k in _KEEP if event.get(k) is not None}
        seen = Seen(asyncio.get_running_loop().time(), event.name, headers)
        self.events.setdefault(uuid, []).append(seen)
        call_id = headers.get("variable_sip_call_id")
        if call_id and event.name == "CHANNEL_CREATE":
            self.by_call_id.setdefault(call_id, uuid)

    # -- finding and waiting ------------------------------------------------------------------------
    async def channel_of(self, call_id: str, within: float = 10) -> str:
        async def found() -> bool:
            return call_id in self.by_call_id

        await wait_until(found, within, f"a channel with Call-ID {call_id}")
        return self.by_call_id[call_id]

    def of(self, uuid: str, name: str | None = None, since: int = 0) -> list[Seen]:
        return [e for e in self.events.get(uuid, [])[since:] if name is None or e.name == name]

    def mark(self, uuid: str) -> int:
        return len(self.events.get(uuid, []))

    async def wait_event(
        self, uuid: str, name: str, *, contains: str = "", key: str = "", since: int = 0, within: float = 20
    ) -> Seen:
        """The first ``name`` event on ``uuid`` after index ``since`` whose ``key`` header (the played
        path for playbacks) contains ``contains``."""
        key = key or ("Playback-File-Path" if name.startswith("PLAYBACK") else "Application-Data")

        def match() -> Seen | None:
            return next((e for e in self.of(uuid, name, since) if contains in e.get(key)), None)

        async def seen() -> bool:
            return match() is not None

        await wait_until(seen, within, f"{name} {contains!r} on {uuid}; heard: {self.heard(uuid)}")
        return match()  # type: ignore[return-value]

    async def ended(self, uuid: str, within: float = 30) -> Seen:
        return await self.wait_event(uuid, "CHANNEL_HANGUP_COMPLETE", within=within)

    # -- what was played ----------------------------------------------------------------------------
    def heard(self, uuid: str) -> list[str]:
        return [e.get("Playback-File-Path") for e in self.of(uuid, "PLAYBACK_START")]

    def playback_results(self, uuid: str) -> list[tuple[str, str]]:
        """(application and its data, Application-Response) of every completed prompt application."""
        apps = ("playback", "play_and_get_digits", "speak", "say", "phrase", "broadcast")
        return [
            (f"{e.get('Application')} {e.get('Application-Data')[:90]}", e.get("Application-Response"))
            for e in self.of(uuid, "CHANNEL_EXECUTE_COMPLETE")
            if e.get("Application") in apps
        ]

    def rtp_counts(self, uuid: str) -> dict[str, str]:
        """The switch's RTP counters of a leg, from its CHANNEL_HANGUP_COMPLETE."""
        done = self.of(uuid, "CHANNEL_HANGUP_COMPLETE")
        prefix = "variable_rtp_audio_"
        return {
            k[len(prefix) :]: v for k, v in (done[0].headers if done else {}).items() if k.startswith(prefix)
        }

    def legs_of_call(self, call_uuid: str) -> list[str]:
        """Other channels that carry ``careline_call_id`` = the caller's uuid (agent and expert legs)."""
        return [
            uuid
            for uuid, events in self.events.items()
            if uuid != call_uuid and any(e.get("variable_careline_call_id") == call_uuid for e in events)
        ]

    def digits(self, uuid: str) -> str:
        return "".join(e.get("DTMF-Digit") for e in self.of(uuid, "DTMF"))

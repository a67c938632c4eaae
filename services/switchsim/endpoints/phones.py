"""Simulated phones: registered users reached by `user/<ext>` or a sofia/verto URI, which ring, answer,
are busy, reject or never answer (design §7, §8). Their legs are named by their contact address, as
mod_sofia names a leg by the URI it dialled (trace b2: `sofia/internal/uas@127.0.0.1:5080`)."""

from __future__ import annotations

import asyncio
import re
from dataclasses import dataclass

from ..model import variables
from ..model.channel import Channel
from ..model.legs import OriginateError, outbound_channel


@dataclass
class PhoneBehaviour:
    """mode: answer | ring (never answers → NO_ANSWER) | busy | reject | unregistered."""

    answer_after: float = 0.5
    talk_time: float | None = None
    mode: str = "answer"
    endpoint: str = "sofia"  # or "verto"


class Phone:
    def __init__(self, ext: str, behaviour: PhoneBehaviour, contact: str = "127.0.0.1:5080"):
        self.ext = ext
        self.contact = contact  # host:port the phone registered from (its SIP Contact)
        self.behaviour = behaviour
        self.next_behaviours: list[PhoneBehaviour] = []
        self.current_calls: set[str] = set()
        self.max_concurrent = 0
        self.history: list[dict] = []
        self.core = None

    def channel_name(self) -> str:
        if self.behaviour.endpoint == "verto":
            return f"verto.rtc/{self.ext}@127.0.0.1"
        return f"sofia/internal/{self.ext}@{self.contact}"

    def queue_behaviour(self, behaviour: PhoneBehaviour) -> None:
        """Use `behaviour` for the next call only (an agent's behaviour per call)."""
        self.next_behaviours.append(behaviour)

    def take_behaviour(self) -> PhoneBehaviour:
        return self.next_behaviours.pop(0) if self.next_behaviours else self.behaviour

    def ringing(self, ch) -> None:
        self.history.append({"uuid": ch.uuid, "rang_at": ch.core.now(), "answered_at": None, "cause": None})

    def answered(self, ch) -> None:
        self.current_calls.add(ch.uuid)
        self.max_concurrent = max(self.max_concurrent, len(self.current_calls))
        for h in self.history:
            if h["uuid"] == ch.uuid:
                h["answered_at"] = ch.core.now()
        talk = getattr(ch, "talk_time", None)
        if talk:
            ch.core.spawn(_hang_after(ch, talk))

    def ended(self, ch) -> None:
        self.current_calls.discard(ch.uuid)
        for h in self.history:
            if h["uuid"] == ch.uuid:
                h["cause"] = ch.hangup_cause


async def _hang_after(ch, secs: float) -> None:
    await ch.wait_passive(secs)
    if ch.alive:
        ch.hangup("NORMAL_CLEARING")


# Originated legs name the originate code as their source (trace b2: Caller-Source).
ORIGINATE_SOURCE = "src/switch_ivr_originate.c"


class PhoneDialer:
    """The endpoint driver for phones: `user/<ext>` (the directory: unknown or unregistered users fail
    with USER_NOT_REGISTERED) and `sofia/<profile>/<user>[@host]` / `verto.rtc/<user>` URIs."""

    USER = r"user/([^@]+)(?:@.*)?"
    URI = r"(sofia/[^/]+/|verto\.rtc/)([^@]+)(@.*)?"

    def __init__(self, phones: dict[str, Phone]):
        self.phones = phones

    def register(self, core) -> None:
        core.dialers.append((self.USER, self.dial_user))
        core.dialers.append((self.URI, self.dial_uri))

    async def dial_user(self, core, m: re.Match, uuid, cid, cid_name, vars_, timeout):
        ext = m.group(1)
        phone = self.phones.get(ext)
        if phone is None:
            raise OriginateError("USER_NOT_REGISTERED")
        beh = phone.take_behaviour()
        if beh.mode == "unregistered":
            raise OriginateError("USER_NOT_REGISTERED")
        # mod_dptools' user endpoint originates the sofia leg itself, then its caller's
        # switch_core_session_outgoing_channel announces the same leg again: CHANNEL_OUTGOING twice, the
        # second once answered (originate_user capture). The directory gives the leg a presence id.
        domain = m.group(0).partition("@")[2] or core.config.global_vars.get("domain", "127.0.0.1")
        vars_.setdefault("presence_id", f"{ext}@{domain}")
        ch = await _ring_phone(
            core, phone.channel_name(), ext, uuid, cid, cid_name, vars_, beh, timeout, phone
        )
        ch.fire("CHANNEL_OUTGOING", full=False)
        return ch

    async def dial_uri(self, core, m: re.Match, uuid, cid, cid_name, vars_, timeout):
        ext = m.group(2)
        phone = self.phones.get(ext)
        beh = phone.behaviour if phone else PhoneBehaviour(answer_after=0.5)
        endpoint = m.group(0)
        if phone is not None and m.group(3) is None and m.group(1).startswith("sofia/"):
            endpoint = f"{m.group(1)}{ext}@{phone.contact}"
        return await _ring_phone(core, endpoint, ext, uuid, cid, cid_name, vars_, beh, timeout, phone)


async def _ring_phone(core, name, ext, uuid, cid, cid_name, vars_, beh, timeout, phone) -> Channel:
    ch = outbound_channel(core, name, ext, uuid, cid, cid_name, vars_, ORIGINATE_SOURCE)
    ch.phone = phone
    if name.startswith("sofia/"):
        contact = name.rpartition("@")[2] if "@" in name else "127.0.0.1:5060"
        ch.vars.update({k: v for k, v in variables.sofia_outbound(ext, contact).items() if k not in ch.vars})
    try:
        return await _ring(core, ch, beh, timeout, phone)
    except asyncio.CancelledError:
        if ch.hangup("LOSE_RACE"):
            core.spawn(ch.teardown())
        raise


async def _ring(core, ch, beh, timeout, phone) -> Channel:
    if phone is not None:
        phone.ringing(ch)
    if beh.mode == "busy":
        await core.sleep(0.05)
        ch.hangup("USER_BUSY")
        core.spawn(ch.teardown())
        raise OriginateError("USER_BUSY")
    ch.fire("CHANNEL_PROGRESS")
    ch.set_callstate("RINGING")
    if beh.mode == "reject":
        await core.sleep(min(beh.answer_after, timeout))
        ch.hangup("CALL_REJECTED")
        core.spawn(ch.teardown())
        raise OriginateError("CALL_REJECTED")
    wait = None if beh.mode == "ring" else beh.answer_after
    if wait is None or wait >= timeout:
        r = await ch.wait(timeout)
        cause = "NO_ANSWER" if r == "timeout" else (ch.hangup_cause or "ORIGINATOR_CANCEL")
        ch.hangup(cause)
        core.spawn(ch.teardown())
        raise OriginateError(cause)
    r = await ch.wait(wait)
    if r == "hangup":
        core.spawn(ch.teardown())
        raise OriginateError(ch.hangup_cause or "ORIGINATOR_CANCEL")
    ch.media_up()  # CODEC, CODEC before CHANNEL_ANSWER (trace b2)
    ch.talk_time = beh.talk_time
    ch.mark_answered()
    if phone is not None:
        phone.answered(ch)
    return ch

"""Channel model: states, caller profile, variables and the events a real call produces (design §7)."""

from __future__ import annotations

import asyncio
import uuid as uuidlib

from . import media_bugs, variables
from .events import make_event

STATE_NUMBERS = {
    "CS_NEW": 0, "CS_INIT": 1, "CS_ROUTING": 2, "CS_SOFT_EXECUTE": 3, "CS_EXECUTE": 4,
    "CS_EXCHANGE_MEDIA": 5, "CS_PARK": 6, "CS_CONSUME_MEDIA": 7, "CS_HIBERNATE": 8, "CS_RESET": 9,
    "CS_HANGUP": 10, "CS_REPORTING": 11, "CS_DESTROY": 12, "CS_NONE": 13,
}  # fmt: skip
CALLSTATE_NUMBERS = {
    "DOWN": 0, "DIALING": 1, "RINGING": 2, "EARLY": 3, "ACTIVE": 4, "HELD": 5, "RING_WAIT": 6, "HANGUP": 7,
    "UNHELD": 8,
}  # fmt: skip
Q850 = {
    "NORMAL_CLEARING": 16, "USER_BUSY": 17, "NO_USER_RESPONSE": 18, "NO_ANSWER": 19, "CALL_REJECTED": 21,
    "NO_ROUTE_DESTINATION": 3, "ORIGINATOR_CANCEL": 487, "USER_NOT_REGISTERED": 606,
    "NORMAL_TEMPORARY_FAILURE": 41, "MANAGER_REQUEST": 16, "ALLOTTED_TIMEOUT": 602,
    "SUBSCRIBER_ABSENT": 20, "LOSE_RACE": 502, "RECOVERY_ON_TIMER_EXPIRE": 102,
}  # fmt: skip

# Events that carry every channel variable (the rest carry only channel + caller headers).
_FULL = {
    "CHANNEL_CREATE", "CHANNEL_ANSWER", "CHANNEL_EXECUTE", "CHANNEL_EXECUTE_COMPLETE", "CHANNEL_HANGUP",
    "CHANNEL_HANGUP_COMPLETE", "CHANNEL_DESTROY", "CHANNEL_PARK", "CHANNEL_UNPARK", "CHANNEL_BRIDGE",
    "CHANNEL_UNBRIDGE", "CHANNEL_PROGRESS", "CHANNEL_PROGRESS_MEDIA", "CHANNEL_ORIGINATE", "CALL_UPDATE",
    "PLAYBACK_START", "PLAYBACK_STOP", "RECORD_START", "RECORD_STOP", "CHANNEL_DATA", "CHANNEL_HOLD",
    "CHANNEL_UNHOLD", "MEDIA_BUG_START", "MEDIA_BUG_STOP",
}  # fmt: skip


class Hangup(Exception):
    """Raised inside an application when its channel is hung up."""


class Channel:
    def __init__(self, core, name: str, direction: str, cid_num: str, cid_name: str | None = None,
                 dest: str = "", context: str = "default", uuid: str | None = None, source: str = "mod_sofia",
                 presence: bool = True):  # fmt: skip
        self.core = core
        self.uuid = uuid or str(uuidlib.uuid4())
        self.name = name
        self.direction = direction
        self.cid_num, self.cid_name = cid_num, cid_name or cid_num
        self.dest, self.context, self.source = dest, context, source
        self.presence = presence
        self.state, self.callstate, self.answer_state = "CS_NEW", "DOWN", "ringing"
        # Channel-State is the running state; Channel-State-Number is channel->state, the state already
        # requested (switch_channel_event_set_basic_data): CHANNEL_CREATE reads CS_INIT / 2, CHANNEL_HANGUP
        # reads CS_EXECUTE / 10 (every trace). None: the same as the running state.
        self.next_state: str | None = None
        self.profile = False  # caller profile headers appear from CS_INIT on
        self.codec = False
        self.vars: dict[str, str] = {"direction": direction, "uuid": self.uuid, "call_uuid": self.uuid,
                                     "channel_name": name}  # fmt: skip
        self.t_created = core.now()
        self.t_answered = self.t_progress_media = self.t_hangup = self.t_bridged = 0.0
        self.other: Channel | None = None  # bridged peer (Other-Leg-*)
        self.loop_peer: Channel | None = None  # loopback -a/-b partner
        self.hangup_cause: str | None = None
        self.hungup = asyncio.Event()
        self.wake = asyncio.Event()  # break / transfer / bridge: interrupts the current wait
        self.dtmf: asyncio.Queue[str] = asyncio.Queue()
        self.dtmf_arrived = asyncio.Event()  # wakes dtmf_ready
        self.dtmf_unannounced: list[tuple[str, str]] = []  # queued digits whose DTMF event is still due
        self.dtmf_mode = False  # an app consuming DTMF is running
        self.broken = False
        self.apps: list[tuple[str, str]] = []  # pending dialplan applications
        self.transfer_to: tuple[str, ...] | None = None  # (dest, context, dialplan)
        self.socket_link = None  # outbound ESL session controlling the call
        self.linger_gate: asyncio.Future | None = None
        self.recordings: dict[str, float] = {}
        self.destroyed = asyncio.Event()
        self.conference = None
        self.bridged_to_history: list[str] = []
        self.on_answer_hook = None
        self.uuid_bridge_ready = asyncio.Event()  # this leg announced uuid_bridge (see apps.app_uuid_bridge)
        self.phone = None
        self.talk_time = None
        # Media this leg's far end hears now (a playback, a broadcast, hold music), None for silence, and
        # everything it heard, in order: how tests observe hold music and prompts (issue 8).
        self.hearing: str | None = None
        self.heard: list[str] = []
        self.broadcasts: list = []  # running uuid_broadcast / hold-music playbacks (apps.broadcast)
        self.t_last_hold = 0.0
        self.hold_accum = 0.0

    # ---------- headers ----------
    def _times(self, prefix: str) -> list[tuple[str, str]]:
        us = lambda t: str(int(t * 1_000_000)) if t else "0"  # noqa: E731
        return [
            (f"{prefix}-Profile-Created-Time", us(self.t_created)),
            (f"{prefix}-Channel-Created-Time", us(self.t_created)),
            (f"{prefix}-Channel-Answered-Time", us(self.t_answered)),
            (f"{prefix}-Channel-Progress-Time", "0"),
            (f"{prefix}-Channel-Progress-Media-Time", us(self.t_progress_media)),
            (f"{prefix}-Channel-Hangup-Time", us(self.t_hangup)),
            (f"{prefix}-Channel-Transfer-Time", "0"),
            (f"{prefix}-Channel-Resurrect-Time", "0"),
            (f"{prefix}-Channel-Bridged-Time", us(self.t_bridged)),
            (f"{prefix}-Channel-Last-Hold", us(self.t_last_hold)),
            (f"{prefix}-Channel-Hold-Accum", str(int(self.hold_accum * 1_000_000))),
            (f"{prefix}-Screen-Bit", "true"),
            (f"{prefix}-Privacy-Hide-Name", "false"),
            (f"{prefix}-Privacy-Hide-Number", "false"),
        ]

    def profile_headers(self, prefix: str) -> list[tuple[str, str]]:
        h = [
            (f"{prefix}-Direction", self.direction),
            (f"{prefix}-Logical-Direction", self.direction),
            (f"{prefix}-Username", self.cid_num),
            (f"{prefix}-Dialplan", "XML"),
            (f"{prefix}-Caller-ID-Name", self.cid_name),
            (f"{prefix}-Caller-ID-Number", self.cid_num),
            (f"{prefix}-Orig-Caller-ID-Name", self.cid_name),
            (f"{prefix}-Orig-Caller-ID-Number", self.cid_num),
            (f"{prefix}-Network-Addr", "127.0.0.1"),
            (f"{prefix}-ANI", self.cid_num),
            (f"{prefix}-Destination-Number", self.dest),
            (f"{prefix}-Unique-ID", self.uuid),
            (f"{prefix}-Source", self.source),
            (f"{prefix}-Context", self.context),
            (f"{prefix}-Channel-Name", self.name),
        ]
        return h + ([(f"{prefix}-Profile-Index", "1")] if prefix == "Caller" else []) + self._times(prefix)

    def headers(self, full: bool) -> list[tuple[str, str]]:
        h = [
            ("Channel-State", self.state),
            ("Channel-Call-State", self.callstate),
            ("Channel-State-Number", str(STATE_NUMBERS[self.next_state or self.state])),
            ("Channel-Name", self.name),
            ("Unique-ID", self.uuid),
            ("Call-Direction", self.direction),
            ("Presence-Call-Direction", self.direction),
            ("Channel-HIT-Dialplan", "true" if self.direction == "inbound" else "false"),
        ]
        if self.presence and self.profile:
            h.append(("Channel-Presence-ID", self.vars.get("presence_id") or f"{self.cid_num}@127.0.0.1"))
        h += [("Channel-Call-UUID", self.uuid), ("Answer-State", self.answer_state)]
        if self.codec:
            h += [("Channel-Read-Codec-Name", "PCMU"), ("Channel-Read-Codec-Rate", "8000"),
                  ("Channel-Read-Codec-Bit-Rate", "64000"), ("Channel-Write-Codec-Name", "PCMU"),
                  ("Channel-Write-Codec-Rate", "8000"),
                  ("Channel-Write-Codec-Bit-Rate", "64000")]  # fmt: skip
        if self.hangup_cause:
            h.append(("Hangup-Cause", self.hangup_cause))
        if self.profile:
            h += self.profile_headers("Caller")
        if self.other is not None:
            h += [("Other-Type", "originatee" if self.direction == "inbound" else "originator")]
            h += self.other.profile_headers("Other-Leg")
        if full:
            h += [(f"variable_{k}", v) for k, v in self.vars.items() if not k.startswith("_")]
        return h

    def fire(self, name: str, pre=(), post=(), full: bool | None = None, body: str = "", subclass=None):
        full = name in _FULL if full is None else full
        ev = make_event(name, list(pre) + self.headers(full) + list(post), body, subclass)
        self.core.fire(ev)
        return ev

    # ---------- state machine ----------
    def set_state(self, state: str) -> None:
        self.state = state
        self.next_state = None
        if state == "CS_INIT":
            self.profile = True
        self.fire("CHANNEL_STATE")

    def set_callstate(self, cs: str) -> None:
        old, self.callstate = self.callstate, cs
        pre = [
            ("Original-Channel-Call-State", old),
            ("Channel-Call-State-Number", str(CALLSTATE_NUMBERS[cs])),
        ]
        self.fire("CHANNEL_CALLSTATE", pre=pre)

    def presence_in(self) -> None:
        if self.presence:
            self.fire("PRESENCE_IN")

    @property
    def is_sofia(self) -> bool:
        return self.name.startswith("sofia/")

    def media_up(self) -> None:
        """Media negotiated: codec variables, and a sofia leg's two CODEC events (read, then write) as
        every trace shows before PROGRESS_MEDIA (inbound) or ANSWER (outbound, trace b2)."""
        if self.codec:
            return
        self.codec = True
        self.vars.update(variables.media(self.is_sofia))
        if self.is_sofia:
            self.fire("CODEC", post=[("channel-read-codec-name", "PCMU"), ("channel-read-codec-rate", "8000"),
                                     ("channel-read-codec-bit-rate", "64000")])  # fmt: skip
            self.fire("CODEC", post=[("Channel-Write-codec-bit-rate", "64000")])

    def pre_answer(self) -> None:
        if self.answer_state in ("early", "answered", "hangup"):
            return
        self.media_up()
        self.t_progress_media = self.core.now()
        self.answer_state = "early"
        self.vars["progress_media_epoch"] = str(int(self.t_progress_media))
        self.fire("CHANNEL_PROGRESS_MEDIA")
        self.set_callstate("EARLY")

    def mark_answered(self) -> None:
        """Answer (inbound: after early media; outbound legs go straight from RINGING/DOWN)."""
        if self.answer_state in ("answered", "hangup"):
            return
        if self.direction == "inbound" and self.source == "mod_sofia" and not self.codec:
            self.pre_answer()  # late negotiation: media comes up through early media (trace a)
        self.media_up()
        self.t_answered = self.core.now()
        if self.is_sofia:
            self.vars["endpoint_disposition"] = "ANSWER"
        self.answer_state = "answered"
        self.vars["answer_epoch"] = str(int(self.t_answered))
        self.fire("CHANNEL_ANSWER")
        self.presence_in()  # legs with a presence id: inbound SIP callers, directory users (originate_user)
        self.set_callstate("ACTIVE")
        self.core.on_answer(self)

    @property
    def alive(self) -> bool:
        return not self.hungup.is_set()

    def hangup(self, cause: str = "NORMAL_CLEARING") -> bool:
        """First half of a hangup (CHANNEL_HANGUP); the session task finishes the teardown."""
        if self.hungup.is_set():
            return False
        self.hangup_cause = cause
        self.answer_state = "hangup"
        self.t_hangup = self.core.now()
        self.vars["hangup_cause"] = cause
        self.vars["hangup_cause_q850"] = str(Q850.get(cause, 16))
        self.next_state = "CS_HANGUP"
        self.fire("CHANNEL_HANGUP")
        self.hungup.set()
        self.wake.set()
        self.core.on_hangup(self)
        return True

    def cdr_vars(self) -> None:
        self.vars.update(variables.cdr_times(self, self.core.now()))

    def unbridge(self, hang_up_peer: bool = True) -> None:
        """End this leg's bridge: CHANNEL_UNBRIDGE here; the peer is hung up (NORMAL_CLEARING whatever ended
        this leg: sched_hangup_bridged capture) unless told otherwise (a transfer takes it elsewhere)."""
        peer = self.other
        if peer is None or self.vars.get("_bridged") != "1":
            return
        self.vars.pop("_bridged", None)
        peer.vars.pop("_bridged", None)
        self.fire(
            "CHANNEL_UNBRIDGE", pre=[("Bridge-A-Unique-ID", self.uuid), ("Bridge-B-Unique-ID", peer.uuid)]
        )
        if hang_up_peer and peer.alive:
            peer.hangup("NORMAL_CLEARING")

    async def teardown(self) -> None:
        """Second half: CS_HANGUP … CS_DESTROY (held back by an outbound socket's linger)."""
        self.unbridge()
        self.set_state("CS_HANGUP")
        media_bugs.close_all(self)  # switch_core_session_hangup_state removes the media bugs
        self.set_callstate("HANGUP")
        self.next_state = "CS_REPORTING"
        self.presence_in()
        self.set_state("CS_REPORTING")
        self.cdr_vars()
        self.fire("CHANNEL_HANGUP_COMPLETE", pre=[("Hangup-Cause", self.hangup_cause or "NORMAL_CLEARING")])
        self.next_state = "CS_DESTROY"
        if self.socket_link is not None:
            await self.socket_link.channel_hung_up(self)
        self.fire("CHANNEL_DESTROY")
        self.set_state("CS_DESTROY")
        self.core.remove(self)
        self.destroyed.set()

    # ---------- waiting ----------
    async def wait(self, seconds: float | None, dtmf: bool = False) -> str:
        """Sleep in simulated seconds; returns 'timeout', 'hangup', 'break' or 'dtmf'."""
        if not self.alive:
            return "hangup"
        if self.broken:
            return "break"
        self.wake.clear()
        waits = [asyncio.ensure_future(self.wake.wait())]
        if dtmf:
            waits.append(asyncio.ensure_future(self.dtmf_ready()))
        timeout = None if seconds is None else max(0.0, seconds) * self.core.time_scale
        done, pending = await asyncio.wait(waits, timeout=timeout, return_when=asyncio.FIRST_COMPLETED)
        for p in pending:
            p.cancel()
        if not self.alive:
            return "hangup"
        if self.broken:
            return "break"
        if self.wake.is_set():
            return "break"
        if done:
            return "dtmf"
        return "timeout"

    async def wait_passive(self, seconds: float) -> None:
        """Sleep without touching the channel's wake-up flags (caller scripts, talk timers)."""
        try:
            await asyncio.wait_for(self.hungup.wait(), max(0.0, seconds) * self.core.time_scale)
        except TimeoutError:
            pass

    async def dtmf_ready(self) -> None:
        while self.dtmf.empty():
            self.dtmf_arrived.clear()
            if self.dtmf.empty():
                await self.dtmf_arrived.wait()

    def send_dtmf(self, digits: str, source: str = "UNKNOWN") -> None:
        """Queue digits (loopback: on the partner leg, as the real switch does).

        The DTMF event fires when an application dequeues the digit, not on arrival (trace c2: the `#`
        sent right after `4567` is announced only once play_and_get_digits, max 4, has completed)."""
        target = self.loop_peer or self
        for d in digits:
            if d in "0123456789*#ABCDabcd":
                target.dtmf_unannounced.append((d, source))
                target.dtmf.put_nowait(d)
                target.dtmf_arrived.set()

    def recv_dtmf(self, digits: str, source: str = "APP") -> None:
        """Digits as if this leg's far end sent them (uuid_recv_dtmf: switch_channel_queue_dtmf_string,
        source APP): queued on this leg itself, never its loopback partner."""
        for d in digits:
            if d in "0123456789*#ABCDabcd":
                self.dtmf_unannounced.append((d, source))
                self.dtmf.put_nowait(d)
                self.dtmf_arrived.set()

    def take_dtmf(self) -> str:
        """Dequeue one digit (the queue must not be empty), firing its DTMF event if not done yet."""
        d = self.dtmf.get_nowait()
        if len(self.dtmf_unannounced) > self.dtmf.qsize():
            self._announce(*self.dtmf_unannounced.pop(0))
        return d

    def announce_dtmf(self) -> None:
        """Media applications (playback) read queued digits: fire their events; they stay queued."""
        while self.dtmf_unannounced:
            self._announce(*self.dtmf_unannounced.pop(0))

    def _announce(self, d: str, source: str) -> None:
        self.fire("DTMF", post=[("DTMF-Digit", d), ("DTMF-Duration", "2000"), ("DTMF-Source", source)])

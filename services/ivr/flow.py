"""One call's session in the IVR (R-IVR1, R-IVR3, R-IVR5, R-CRM2, R-VIP2; design §3).

claim ownership → tag the channel → answer → recognise the caller → run the flow published for the
dialled number (:mod:`careline.ivr.engine`) → hand over to the ACD, or hang up.

The session knows nothing of NATS or ESL: it talks to the call through :class:`CallPort` (the ESL
adapter's ``OutboundCall`` fits it; :class:`EslVoice` turns it into the interpreter's ``Voice``) and to
other services through small ports the service wires to NATS. Rules:
- the caller look-up is best effort: a slow or absent CRM means "unknown caller", never a stuck call;
  what it finds (VIP, patient id…) is call data, which the flow tests and the ACD receives (R-ACD2);
- the plan (flow version and prompts) is taken once, at the start: a call keeps its version (R-IVR4);
- hand-over: the ACD takes ownership (CAS ivr→acd) and accepts; only then the IVR parks the call and
  releases the socket, which leaves the call up. If the ACD refuses or is silent, the caller hears a
  sorry prompt and the call ends with the reason logged;
- a caller who hangs up at any moment ends the session quietly.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field, replace
from typing import Any, Protocol, TypeVar

from careline.core.log import call_context
from careline.ivr.engine import CallPlan, Hangup, Interpreter, Services, Transfer

T = TypeVar("T")

log = logging.getLogger("careline.ivr.flow")

MENU_VAR = "careline_menu_choice"
CALL_ID_VAR = "careline_call_id"
# public.xml parks a call whose socket closed with this true (handed over) instead of sending it to
# the fallback operator; it must be set before anything else can fail (design §3).
HANDLED_VAR = "careline_ivr_handled"
ASK_REGEX = "[0-9*#]+"  # let every key through: the interpreter tells wrong keys from silence


class CallPort(Protocol):
    uuid: str
    caller_id_number: str
    destination_number: str

    @property
    def hung_up(self) -> bool: ...

    async def execute(self, app: str, arg: str | None = None, wait: bool = True, **kw: Any): ...

    async def play_and_get_digits(self, **kwargs: Any) -> str | None: ...

    async def hangup(self, cause: str = "NORMAL_CLEARING") -> None: ...

    async def release(self) -> None: ...

    async def wait_hangup(self) -> None: ...


@dataclass(frozen=True)
class Caller:
    """What the CRM told us; ``Caller()`` is an unknown caller."""

    found: bool = False
    vip: bool = False
    data: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class HandOver:
    call_uuid: str
    caller_number: str
    queue: str
    vip: bool
    call_data: dict[str, str]
    reason: str  # why a human: "key_0", "input_failed", "vip", "flow"…
    skills: tuple[str, ...] = ()
    priority: int = 0


@dataclass(frozen=True)
class HandOverReply:
    accepted: bool
    reason: str = ""
    position: int = 0


class Directory(Protocol):
    async def lookup(self, number: str) -> Caller:
        """Never raises: an unknown or unreachable CRM gives ``Caller()``."""


class Acd(Protocol):
    async def hand_over(self, request: HandOver) -> HandOverReply:
        """Never raises: no answer gives ``HandOverReply(False, "acd_unavailable")``."""


class Ownership(Protocol):
    async def claim(self, call_uuid: str) -> bool:
        """Record ``owner=ivr``; False when another service already owns the call."""

    async def owner(self, call_uuid: str) -> str | None: ...

    async def forget(self, call_uuid: str) -> None:
        """The call ended while the IVR owned it."""


class Plans(Protocol):
    async def plan_for(self, dialled: str) -> CallPlan:
        """The plan published for the dialled number (else the default flow's); never fails a call."""


@dataclass(frozen=True)
class SessionConfig:
    sorry: str = "sorry"  # prompt refs said when no human can take the call
    goodbye: str = "goodbye"
    recordings_dir: str = "/var/lib/careline/recordings"
    channel_vars: dict[str, str] = field(default_factory=dict)  # set on every call, e.g. tts_engine


class CallerHungUp(Exception):  # noqa: N818 - a way out, not a failure
    pass


@dataclass
class IvrFlow:
    config: SessionConfig
    plans: Plans
    directory: Directory
    acd: Acd
    ownership: Ownership
    services: Services
    count: Callable[[str, str], None] = lambda _metric, _label: None  # metrics hook (metric, label)

    async def handle(self, call: CallPort) -> None:
        with call_context(call.uuid):
            self.count("calls", "arrived")
            try:
                await self._run(call)
            except CallerHungUp:
                self._caller_left(call)
            except Exception:
                if call.hung_up:
                    self._caller_left(call)
                else:
                    log.exception("IVR flow failed; hanging up")
                    self.count("calls", "failed")
                    await _quietly(call.hangup("NORMAL_TEMPORARY_FAILURE"))
            if call.hung_up:
                await _quietly(self.ownership.forget(call.uuid))

    async def _run(self, call: CallPort) -> None:
        if not await self.ownership.claim(call.uuid):
            log.warning("call already owned by %s; leaving it alone", await self.ownership.owner(call.uuid))
            self.count("calls", "not_owner")
            await call.release()
            return
        channel_vars = {HANDLED_VAR: "true", CALL_ID_VAR: call.uuid, **self.config.channel_vars}
        for name, value in channel_vars.items():
            await _do(call, "set", f"{name}={value}")
        await _do(call, "answer")
        dialled = getattr(call, "destination_number", "") or ""
        caller = await self.directory.lookup(call.caller_id_number)
        plan = await self.plans.plan_for(dialled)
        data = {
            **caller.data,
            "caller_number": call.caller_id_number,
            "call_uuid": call.uuid,  # look-ups that file something for this call (complaints, bookings)
            "dialled_number": dialled,
            "vip": "true" if caller.vip else "false",
            "ivr_flow": plan.flow,
            "ivr_flow_version": str(plan.version),
        }
        voice = EslVoice(call, self.config.recordings_dir)
        outcome = await Interpreter(plan, voice, self.services, count=self.count).run(data)
        _check(call)
        if isinstance(outcome, Hangup):
            self.count("calls", "ivr_hangup")
            await call.hangup(outcome.cause)
            return
        await self._hand_over(call, plan, caller, outcome, data)

    async def _hand_over(
        self, call: CallPort, plan: CallPlan, caller: Caller, transfer: Transfer, data: dict[str, str]
    ) -> None:
        data.pop("ivr_node", None)
        request = HandOver(
            call.uuid,
            call.caller_id_number,
            transfer.queue,
            caller.vip,
            {k: v for k, v in data.items() if v},
            transfer.reason,
            transfer.skills,
            transfer.priority,
        )
        reply = await self.acd.hand_over(request)
        _check(call)
        if not reply.accepted and reply.reason == "queue_unknown" and transfer.fallback_queue:
            # A flow naming a queue the ACD does not serve must not cut the caller off (R-IVR5).
            log.warning("queue %s unknown to the ACD; trying %s", transfer.queue, transfer.fallback_queue)
            request = replace(request, queue=transfer.fallback_queue, skills=())
            reply = await self.acd.hand_over(request)
            _check(call)
        if not reply.accepted and await self.ownership.owner(call.uuid) == "acd":
            # The ACD's reply was lost but its CAS won: the call is the ACD's (design §3).
            reply = HandOverReply(True, "owner_is_acd")
        if reply.accepted:
            log.info(
                "handed to the ACD queue %s (%s), position %d",
                request.queue,
                transfer.reason,
                reply.position,
            )
            self.count("handovers", "accepted")
            # park keeps the call up once the socket closes; the ACD plays music and bridges it.
            await call.execute("park", wait=False)
            await call.release()
            return
        log.warning("ACD did not take the call: %s; saying sorry and hanging up", reply.reason)
        self.count("handovers", reply.reason or "refused")
        for ref in (self.config.sorry, self.config.goodbye):
            media = plan.resolve(ref)
            if media:
                await _do(call, "playback", media)
        await call.hangup("NORMAL_TEMPORARY_FAILURE")

    def _caller_left(self, call: CallPort) -> None:
        log.info("caller hung up in the IVR")
        self.count("calls", "caller_hung_up")


class EslVoice:
    """The interpreter's :class:`~careline.ivr.engine.Voice` on an outbound-socket call."""

    def __init__(self, call: CallPort, recordings_dir: str) -> None:
        self.call, self.recordings_dir = call, recordings_dir.rstrip("/")

    async def say(self, media: str) -> None:
        await _do(self.call, "playback", media)

    async def ask(
        self, media: str, *, max_digits: int, timeout_ms: int, digit_timeout_ms: int, terminator: str
    ) -> str:
        _check(self.call)
        digits = await _until_hangup(
            self.call,
            self.call.play_and_get_digits(
                min_digits=1,
                max_digits=max_digits,
                tries=1,
                timeout_ms=timeout_ms,
                digit_timeout_ms=digit_timeout_ms,
                terminators=terminator or "none",
                prompt=pagd_file(media),
                invalid_prompt="silence_stream://250",
                var_name=MENU_VAR,
                regex=ASK_REGEX,
            ),
        )
        _check(self.call)
        return digits or ""

    async def forget_input(self) -> None:
        """Empty the variable play_and_get_digits filled (a PIN must not stay in the channel's CDR)."""
        await _do(self.call, "set", f"{MENU_VAR}=")

    async def record(self, name: str, max_seconds: int) -> str:
        path = f"{self.recordings_dir}/{self.call.uuid}-{name}.wav"
        await _do(self.call, "record", f"{path} {int(max_seconds)}")
        return path


async def _do(call: CallPort, app: str, arg: str | None = None) -> None:
    _check(call)
    await _until_hangup(call, call.execute(app, arg))
    _check(call)


def _check(call: CallPort) -> None:
    if call.hung_up:
        raise CallerHungUp()


def pagd_file(path: str) -> str:
    """play_and_get_digits splits its argument on spaces; FreeSWITCH keeps a single-quoted part whole
    (switch_separate_string), so a ``say:`` prompt with spaces is quoted."""
    return f"'{path}'" if any(c.isspace() for c in path) else path


async def _until_hangup(call: CallPort, operation: Awaitable[T]) -> T:
    """Run ``operation`` unless the caller hangs up first.

    An application's CHANNEL_EXECUTE_COMPLETE may never come once the channel is gone (and the socket
    lingers for seconds after the hangup), so a hangup ends the wait at once.
    """
    work = asyncio.ensure_future(operation)
    hangup = asyncio.ensure_future(call.wait_hangup())
    try:
        done, _ = await asyncio.wait({work, hangup}, return_when=asyncio.FIRST_COMPLETED)
        if work in done:
            return work.result()
        raise CallerHungUp()
    finally:
        for task in (work, hangup):
            if not task.done():
                task.cancel()
        await asyncio.gather(work, hangup, return_exceptions=True)


async def _quietly(awaitable) -> None:
    try:
        await awaitable
    except Exception:  # best effort on a call that is already ending
        log.debug("ignored error while ending a call", exc_info=True)

"""One call's path through the IVR (R-IVR1, R-IVR3, R-IVR5, R-CRM2; design §3).

claim ownership → tag the channel → answer → recognise the caller → main menu → hand over to the ACD.

The flow knows nothing of NATS or ESL: it talks to the call through :class:`CallPort` (the ESL adapter's
``OutboundCall`` fits it) and to other services through three small ports the service wires to NATS.
Rules:
- key 0 asks for a human; a bad key or silence re-prompts ``menu_retries`` times, then a human takes the
  call anyway — elderly callers are never cut off (R-IVR5);
- the caller look-up is best effort: a slow or absent CRM means "unknown caller", never a stuck call;
- hand-over: the ACD takes ownership (CAS ivr→acd) and accepts; only then the IVR parks the call and
  releases the socket, which leaves the call up. If the ACD refuses or is silent, the caller hears a
  sorry prompt and the call ends with the reason logged;
- a caller who hangs up at any moment ends the session quietly.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Protocol, TypeVar

from careline.core.log import call_context

T = TypeVar("T")

log = logging.getLogger("careline.ivr.flow")

AGENT_KEY = "0"
MENU_VAR = "careline_menu_choice"
CALL_ID_VAR = "careline_call_id"


class CallPort(Protocol):
    uuid: str
    caller_id_number: str

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
    reason: str  # why a human: "key_0", "menu_exhausted", "vip"


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


class MenuResult(StrEnum):
    AGENT = "agent"
    EXHAUSTED = "exhausted"


@dataclass(frozen=True)
class MenuConfig:
    main_menu: str
    invalid: str
    sorry: str
    goodbye: str
    timeout_ms: int = 5000
    digit_timeout_ms: int = 3000
    retries: int = 2
    queue: str = "general"
    vip_direct: bool = True
    channel_vars: dict[str, str] = field(default_factory=dict)  # set on every call, e.g. tts_engine


class CallerHungUp(Exception):  # noqa: N818 - a way out, not a failure
    pass


@dataclass
class IvrFlow:
    config: MenuConfig
    directory: Directory
    acd: Acd
    ownership: Ownership
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
        for name, value in {CALL_ID_VAR: call.uuid, **self.config.channel_vars}.items():
            await self._do(call, "set", f"{name}={value}")
        await self._do(call, "answer")
        caller = await self.directory.lookup(call.caller_id_number)
        if caller.vip and self.config.vip_direct:
            reason = "vip"
        else:
            reason = "key_0" if await self._menu(call) is MenuResult.AGENT else "menu_exhausted"
        await self._hand_over(call, caller, reason)

    async def _menu(self, call: CallPort) -> MenuResult:
        cfg = self.config
        for attempt in range(cfg.retries + 1):
            digits = await _until_hangup(
                call,
                call.play_and_get_digits(
                    min_digits=1,
                    max_digits=1,
                    tries=1,
                    timeout_ms=cfg.timeout_ms,
                    digit_timeout_ms=cfg.digit_timeout_ms,
                    terminators="#",
                    prompt=pagd_file(cfg.main_menu),
                    invalid_prompt="silence_stream://250",
                    var_name=MENU_VAR,
                    regex="\\d",
                ),
            )
            self._check(call)
            choice = digits or ""
            self.count("menu_choices", choice if choice == AGENT_KEY else ("invalid" if choice else "none"))
            if choice == AGENT_KEY:
                return MenuResult.AGENT
            log.info("menu attempt %d: %s", attempt + 1, f"key {choice}" if choice else "no input")
            if attempt < cfg.retries:
                await self._do(call, "playback", cfg.invalid)
        return MenuResult.EXHAUSTED

    async def _hand_over(self, call: CallPort, caller: Caller, reason: str) -> None:
        request = HandOver(
            call.uuid, call.caller_id_number, self.config.queue, caller.vip, caller.data, reason
        )
        reply = await self.acd.hand_over(request)
        self._check(call)
        if not reply.accepted and await self.ownership.owner(call.uuid) == "acd":
            # The ACD's reply was lost but its CAS won: the call is the ACD's (design §3).
            reply = HandOverReply(True, "owner_is_acd")
        if reply.accepted:
            log.info("handed to the ACD (%s), position %d", reason, reply.position)
            self.count("handovers", "accepted")
            # park keeps the call up once the socket closes; the ACD plays music and bridges it.
            await call.execute("park", wait=False)
            await call.release()
            return
        log.warning("ACD did not take the call: %s; saying sorry and hanging up", reply.reason)
        self.count("handovers", reply.reason or "refused")
        await self._do(call, "playback", self.config.sorry)
        await self._do(call, "playback", self.config.goodbye)
        await call.hangup("NORMAL_TEMPORARY_FAILURE")

    async def _do(self, call: CallPort, app: str, arg: str | None = None) -> None:
        self._check(call)
        await _until_hangup(call, call.execute(app, arg))
        self._check(call)

    @staticmethod
    def _check(call: CallPort) -> None:
        if call.hung_up:
            raise CallerHungUp()

    def _caller_left(self, call: CallPort) -> None:
        log.info("caller hung up in the IVR")
        self.count("calls", "caller_hung_up")


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

"""The distributor: queue callers, offer them to agents, bridge, and account for every ending (design §3).

It owns no socket. Two ports carry its decisions out: :class:`SwitchPort` (FreeSWITCH, wired to ESL by
the service) and :class:`OfferNotifier` (the agent's screen pop, wired to NATS). Everything that changes
state runs on the event loop without an ``await`` between a check and the change it guards, and every
``await`` is followed by a re-check, since the caller may hang up at any moment.

Rules (R-ACD1, R-ACD6):
- the longest-idle available agent gets the caller at the head of the line;
- a ring that fails (no answer, busy, rejected, not registered) puts that agent on break ``no-answer``
  and the same caller is offered to the next agent, keeping their place;
- no available agent is left idle while a caller waits: :meth:`dispatch` runs after every change;
- a caller who hangs up while waiting is abandoned (with the wait); one who hangs up while an agent's
  phone rings has that ring cancelled; when a bridged call ends the agent is available again.
"""

from __future__ import annotations

import asyncio
import logging
import time
import uuid as uuidlib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol

from careline.acd.domain.agents import Agent, AgentState
from careline.acd.domain.errors import AgentNotFound, BadAgentTransition, QueueNotConfigured
from careline.acd.domain.queue import CallQueue, QueueConfig, WaitingCall, select_offers
from careline.acd.domain.stats import QueueStats
from careline.core.log import call_context

log = logging.getLogger("careline.acd.routing")


@dataclass(frozen=True)
class OriginateOutcome:
    answered: bool
    cause: str = ""  # FreeSWITCH cause when not answered, e.g. NO_ANSWER, USER_BUSY


@dataclass(frozen=True)
class Offer:
    call: WaitingCall
    agent: Agent
    leg_uuid: str
    queue: QueueConfig


class SwitchPort(Protocol):
    async def hold(self, call_uuid: str, music: str) -> bool:
        """Play music on hold to the caller; False when the call no longer exists."""

    async def originate_agent(self, offer: Offer) -> OriginateOutcome: ...

    async def bridge(self, call_uuid: str, leg_uuid: str) -> bool: ...

    async def hang_up(self, uuid: str, cause: str) -> None:
        """Idempotent: hanging up a leg that is already gone is success."""

    async def exists(self, uuid: str) -> bool: ...


class OfferNotifier(Protocol):
    async def agent_offered(self, offer: Offer) -> None: ...


@dataclass(frozen=True)
class EnqueueResult:
    accepted: bool
    reason: str = ""
    position: int = 0


@dataclass
class Bridged:
    call_uuid: str
    agent_id: str
    leg_uuid: str
    caller_number: str


@dataclass
class Distributor:
    switch: SwitchPort
    notifier: OfferNotifier
    clock: Callable[[], float] = time.monotonic
    on_event: Callable[[str], None] = lambda _name: None  # metrics hook: "offered", "answered", ...
    agents: dict[str, Agent] = field(default_factory=dict)
    queue: CallQueue | None = None
    stats: QueueStats = field(default_factory=QueueStats)
    bridged: dict[str, Bridged] = field(default_factory=dict)  # caller uuid -> bridge
    _leg_owner: dict[str, str] = field(default_factory=dict)  # agent leg uuid -> caller uuid
    _tasks: set[asyncio.Task] = field(default_factory=set)

    # --- configuration (from the DB and HTTP) -------------------------------------------------
    def configure_queue(self, config: QueueConfig) -> None:
        if self.queue is None:
            self.queue = CallQueue(config)
        else:
            self.queue.config = config  # callers already waiting keep their places

    def put_agent(self, agent_id: str, name: str, extension: str) -> Agent:
        agent = self.agents.get(agent_id)
        if agent is None:
            agent = self.agents[agent_id] = Agent(agent_id, name, extension)
        else:
            agent.name, agent.extension = name, extension
        return agent

    def remove_agent(self, agent_id: str) -> None:
        agent = self.agent(agent_id)
        if agent.busy:
            raise BadAgentTransition(agent_id, agent.state.value, "be removed")
        del self.agents[agent_id]

    def agent(self, agent_id: str) -> Agent:
        try:
            return self.agents[agent_id]
        except KeyError:
            raise AgentNotFound(agent_id) from None

    # --- agents' own actions -------------------------------------------------------------------
    def log_in(self, agent_id: str) -> Agent:
        agent = self.agent(agent_id)
        agent.log_in(self.clock())
        self.dispatch()
        return agent

    def make_available(self, agent_id: str) -> Agent:
        agent = self.agent(agent_id)
        agent.make_available(self.clock())
        self.dispatch()
        return agent

    def take_break(self, agent_id: str, reason: str) -> Agent:
        agent = self.agent(agent_id)
        agent.take_break(reason)
        return agent

    def log_out(self, agent_id: str) -> Agent:
        agent = self.agent(agent_id)
        agent.log_out()
        return agent

    # --- calls ---------------------------------------------------------------------------------
    async def enqueue(self, call: WaitingCall, queue_name: str) -> EnqueueResult:
        """Take a caller the ACD now owns into the line (the ownership CAS is the caller's job)."""
        queue = self.queue
        if queue is None or queue.config.name != queue_name:
            return EnqueueResult(False, "queue_unknown")
        if call.call_uuid in queue or call.call_uuid in self.bridged:  # a retried request
            return EnqueueResult(True, position=queue.position(call.call_uuid))
        call.enqueued_at = self.clock()
        queue.add(call)
        self.stats.call_offered()
        self.on_event("offered")
        if not await self.switch.hold(call.call_uuid, queue.config.music_on_hold):
            self._abandon(call.call_uuid, "gone before hold music")
            return EnqueueResult(False, "call_gone")
        if call.call_uuid not in queue:  # hung up while hold music was starting
            return EnqueueResult(False, "call_gone")
        position = queue.position(call.call_uuid)
        self.dispatch()
        return EnqueueResult(True, position=position)

    def dispatch(self) -> None:
        """Offer every caller who can be served now; never awaits, so no two offers race."""
        if self.queue is None:
            return
        for call, agent in select_offers(self.queue, self.agents.values()):
            leg_uuid = str(uuidlib.uuid4())
            agent.offer(call.call_uuid, leg_uuid)
            call.offered_to, call.offer_leg = agent.id, leg_uuid
            self._spawn(self._offer(Offer(call, agent, leg_uuid, self.queue.config)))

    def on_hangup(self, uuid: str, cause: str = "") -> None:
        """A channel the ACD may hold ended. Unknown uuids are ignored; repeats are harmless."""
        with call_context(uuid):
            if self.queue is not None and uuid in self.queue:
                self._abandon(uuid, cause)
            elif uuid in self.bridged:
                self._end_bridge(self.bridged[uuid], hang_up=self.bridged[uuid].leg_uuid)
            elif uuid in self._leg_owner:
                bridge = self.bridged[self._leg_owner[uuid]]
                self._end_bridge(bridge, hang_up=bridge.call_uuid)
        self.dispatch()

    def held_uuids(self) -> list[str]:
        """Every channel the ACD tracks: waiting callers, ringing legs, bridged legs."""
        uuids = [c.call_uuid for c in self.queue.ordered()] if self.queue else []
        uuids += [c.offer_leg for c in (self.queue.ordered() if self.queue else []) if c.offer_leg]
        for bridge in self.bridged.values():
            uuids += [bridge.call_uuid, bridge.leg_uuid]
        return uuids

    async def resync(self) -> list[str]:
        """After an ESL reconnect: drop every call that ended while the link was down."""
        gone = [u for u in self.held_uuids() if not await self.switch.exists(u)]
        for uuid in gone:
            log.info("call gone after reconnect", extra={"call_uuid": uuid})
            self.on_hangup(uuid, "GONE_AFTER_RECONNECT")
        return gone

    async def drain(self) -> None:
        """Wait for the offers in flight (used at shutdown and by tests)."""
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)

    # --- internals -----------------------------------------------------------------------------
    def _spawn(self, coro) -> None:
        task = asyncio.get_running_loop().create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _offer(self, offer: Offer) -> None:
        call, agent, leg = offer.call, offer.agent, offer.leg_uuid
        with call_context(call.call_uuid):
            try:
                await self.notifier.agent_offered(offer)
            except Exception:  # a lost screen pop must not lose the call
                log.exception("screen pop for agent %s failed", agent.id)
            try:
                outcome = await self.switch.originate_agent(offer)
            except Exception:
                log.exception("originate to agent %s failed", agent.id)
                outcome = OriginateOutcome(False, "ORIGINATE_ERROR")
            if not self._still_offered(offer):  # the caller left while the phone rang
                if outcome.answered:
                    await self.switch.hang_up(leg, "ORIGINATOR_CANCEL")
                return
            if not outcome.answered:
                self._missed(offer, outcome.cause)
                return
            bridged = await self.switch.bridge(call.call_uuid, leg)
            if not self._still_offered(offer):
                await self.switch.hang_up(leg, "ORIGINATOR_CANCEL")
                return
            if bridged:
                self._answered(offer)
            else:
                log.warning("bridge to agent %s failed; offering again", agent.id)
                await self.switch.hang_up(leg, "NORMAL_TEMPORARY_FAILURE")
                if self._still_offered(offer):
                    call.offered_to = call.offer_leg = None
                    agent.ring_cancelled()
                    self.dispatch()

    def _still_offered(self, offer: Offer) -> bool:
        return (
            self.queue is not None
            and self.queue.get(offer.call.call_uuid) is offer.call
            and offer.call.offer_leg == offer.leg_uuid
            and offer.agent.state is AgentState.RINGING
            and offer.agent.leg_uuid == offer.leg_uuid
        )

    def _missed(self, offer: Offer, cause: str) -> None:
        log.info("agent %s did not answer (%s); on break", offer.agent.id, cause)
        offer.agent.not_answered()
        offer.call.offered_to = offer.call.offer_leg = None  # keeps its place at the head
        self.on_event("agent_no_answer")
        self.dispatch()

    def _answered(self, offer: Offer) -> None:
        call, agent = offer.call, offer.agent
        self.queue.remove(call.call_uuid)
        agent.answered()
        wait = call.wait_s(self.clock())
        self.stats.call_answered(wait, agent.id)
        self.bridged[call.call_uuid] = Bridged(call.call_uuid, agent.id, offer.leg_uuid, call.caller_number)
        self._leg_owner[offer.leg_uuid] = call.call_uuid
        self.on_event("answered")
        log.info("bridged to agent %s after %.1f s", agent.id, wait)

    def _abandon(self, call_uuid: str, cause: str) -> None:
        call = self.queue.remove(call_uuid)
        if call is None:
            return
        wait = call.wait_s(self.clock())
        self.stats.call_abandoned(wait)
        self.on_event("abandoned")
        log.info("caller left the queue after %.1f s (%s)", wait, cause)
        agent = self.agents.get(call.offered_to or "")
        if agent and agent.state is AgentState.RINGING and agent.leg_uuid == call.offer_leg:
            agent.ring_cancelled()
            self._spawn(self.switch.hang_up(call.offer_leg, "ORIGINATOR_CANCEL"))

    def _end_bridge(self, bridge: Bridged, *, hang_up: str) -> None:
        self.bridged.pop(bridge.call_uuid, None)
        self._leg_owner.pop(bridge.leg_uuid, None)
        agent = self.agents.get(bridge.agent_id)
        if agent and agent.state is AgentState.ON_CALL and agent.leg_uuid == bridge.leg_uuid:
            agent.call_ended(self.clock())
        log.info("call with agent %s ended", bridge.agent_id)
        self._spawn(self.switch.hang_up(hang_up, "NORMAL_CLEARING"))

    def require_queue(self) -> CallQueue:
        if self.queue is None:
            raise QueueNotConfigured()
        return self.queue

"""The distributor: queue callers, offer them to agents, bridge, and account for every ending (design §3).

It owns no socket. Two ports carry its decisions out (:mod:`.ports`): the switch (FreeSWITCH, wired to
ESL by the service) and the offer notifier (the agent's screen pop, wired to NATS). Everything that
changes state runs on the event loop without an ``await`` between a check and the change it guards, and
every ``await`` is followed by a re-check, since the caller may hang up at any moment.

Rules (R-ACD1, R-ACD6, R-ACD7, R-VIP1):
- callers of every queue are served in one order (:mod:`.priority`: urgent > VIP > normal with ageing,
  first come first served within a class); each gets the agent its queue's strategy picks among the
  eligible ones (:mod:`.strategies`);
- :meth:`dispatch` runs after every change and offers every caller who has an eligible agent free, so no
  eligible agent is left idle while an eligible caller waits (a sticky caller's short wait for their last
  agent is the one deliberate exception);
- a ring that fails counts a miss: the agent is kept out for the reject delay, and after ``max_missed``
  misses in a row goes on break ``no-answer``; the same caller is offered to the next agent first;
- a caller who hangs up while waiting is abandoned (with the wait); one who hangs up while phones ring
  has those rings cancelled; when a bridged call ends the agent wraps up (the queue's time) and is then
  available again;
- :meth:`tick` (called periodically by the service) ends wrap-ups, announces positions and overflows.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import time
import uuid as uuidlib
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from careline.acd.domain.agents import Agent, AgentState
from careline.acd.domain.call_events import CallEvent
from careline.acd.domain.callbacks import CALLBACK, ring_back, to_callback
from careline.acd.domain.errors import AgentNotFound, BadAgentTransition, QueueNotConfigured
from careline.acd.domain.ports import Offer, OfferNotifier, OriginateOutcome, SwitchPort
from careline.acd.domain.queue import GOODBYE, CallQueue, QueueConfig, Strategy, WaitingCall
from careline.acd.domain.stats import QueueStats
from careline.acd.domain.strategies import choose, eligible, serves
from careline.acd.domain.waiting import due_announcements, due_overflows
from careline.core.log import call_context

__all__ = ["Bridged", "Distributor", "EnqueueResult", "Offer", "OriginateOutcome", "SwitchPort"]

log = logging.getLogger("careline.acd.routing")


def _today() -> str:
    return dt.date.today().isoformat()


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
    queue: str = ""
    # What follows the call on a transfer (R-ACD4): the IVR's data, class, skills asked.
    call_data: dict[str, str] = field(default_factory=dict)
    vip: bool = False
    priority: int = 0
    skills: dict[str, int] = field(default_factory=dict)
    outbound: bool = False  # an agent's outbound call (R-ACD5): call_uuid is the dialled number's leg


@dataclass
class Distributor:
    switch: SwitchPort
    notifier: OfferNotifier
    clock: Callable[[], float] = time.monotonic
    on_event: Callable[[str], None] = lambda _name: None  # metrics hook: "offered", "answered", ...
    on_originate: Callable[[float], None] = lambda _s: None  # enqueued → originate sent, seconds
    record: Callable[[CallEvent], None] = lambda _e: None  # statistics facts (R-STAT1)
    day: Callable[[], str] = _today
    max_missed: int = 1  # auto-break after this many missed offers in a row
    reject_delay_s: float = 0.0  # a missed agent is not offered again before this
    agents: dict[str, Agent] = field(default_factory=dict)
    queues: dict[str, CallQueue] = field(default_factory=dict)
    stats: QueueStats = field(default_factory=QueueStats)
    bridged: dict[str, Bridged] = field(default_factory=dict)  # caller uuid -> bridge
    last_agent: dict[str, str] = field(default_factory=dict)  # caller number -> agent (sticky)
    _leg_owner: dict[str, str] = field(default_factory=dict)  # agent leg uuid -> caller uuid
    _tasks: set[asyncio.Task] = field(default_factory=set)
    # Replicas (careline.acd.cluster, design §4): the shared bucket says the agent is free, and the
    # compare-and-set that makes a ring this instance's before the originate.
    may_offer: Callable[[str], bool] = lambda _agent_id: True
    reserve: Callable[[Offer], Awaitable[bool]] | None = None

    # --- configuration (from the DB and HTTP) -------------------------------------------------
    @property
    def queue(self) -> CallQueue | None:
        """The first queue configured (the one-queue API of /v1/queue)."""
        return next(iter(self.queues.values()), None)

    def configure_queue(self, config: QueueConfig) -> CallQueue:
        queue = self.queues.get(config.name)
        if queue is None:
            queue = self.queues[config.name] = CallQueue(config)
        else:
            queue.config = config  # callers already waiting keep their places
        self.dispatch()
        return queue

    def put_agent(self, agent_id: str, name: str, extension: str, **profile) -> Agent:
        """profile: skills, queues, expert (only those given are changed)."""
        agent = self.agents.get(agent_id)
        if agent is None:
            agent = self.agents[agent_id] = Agent(agent_id, name, extension)
        agent.name, agent.extension = name, extension
        for key in ("skills", "queues", "expert"):
            if profile.get(key) is not None:
                setattr(agent, key, frozenset(profile[key]) if key == "queues" else profile[key])
        self.dispatch()
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

    def require_queue(self, name: str | None = None) -> CallQueue:
        queue = self.queue if name is None else self.queues.get(name)
        if queue is None:
            raise QueueNotConfigured(name)
        return queue

    # --- agents' own actions (and a supervisor's, R-SUP1) ---------------------------------------
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
        agent.take_break(reason, self.clock())
        return agent

    def log_out(self, agent_id: str) -> Agent:
        agent = self.agent(agent_id)
        agent.log_out(self.clock())
        self.tick()  # the last agent of a queue leaving may overflow its callers
        return agent

    def extend_wrap_up(self, agent_id: str, seconds: float) -> Agent:
        agent = self.agent(agent_id)
        agent.extend_wrap_up(seconds)
        return agent

    # --- calls ---------------------------------------------------------------------------------
    async def enqueue(self, call: WaitingCall, queue_name: str) -> EnqueueResult:
        """Take a caller the ACD now owns into a queue (the ownership CAS is the caller's job)."""
        queue = self.queues.get(queue_name)
        if queue is None:
            return EnqueueResult(False, "queue_unknown")
        current = self.queue_of(call.call_uuid)
        if current is not None or call.call_uuid in self.bridged:  # a retried request
            return EnqueueResult(
                True, position=current.position(call.call_uuid) if current is not None else 0
            )
        if queue.full:
            return EnqueueResult(False, "queue_full")
        now = self.clock()
        call.enqueued_at = call.entered_at = now
        call.next_announce_at = now + queue.config.announce_every_s
        if queue.config.strategy is Strategy.STICKY:
            call.sticky_agent = self.last_agent.get(call.caller_number)
        queue.add(call)
        self._count(queue, "offered")
        self.record(CallEvent("offered", queue.name, call.call_uuid))
        if not await self.switch.hold(call.call_uuid, queue.config.music_on_hold):
            self._abandon(call.call_uuid, "gone before hold music")
            return EnqueueResult(False, "call_gone")
        queue = self.queue_of(call.call_uuid)
        if queue is None:  # hung up (or overflowed) while hold music was starting
            return EnqueueResult(False, "call_gone")
        position = queue.position(call.call_uuid)
        self.tick()
        return EnqueueResult(True, position=position)

    def queue_of(self, call_uuid: str) -> CallQueue | None:
        return next((q for q in self.queues.values() if call_uuid in q), None)

    def waiting_in_order(self) -> list[tuple[CallQueue, WaitingCall]]:
        pairs = [(q, c) for q in self.queues.values() for c in q.ordered()]
        return sorted(pairs, key=lambda qc: qc[0].key(qc[1]))

    def dispatch(self) -> None:
        """Offer every caller who can be served now; never awaits, so no two offers race."""
        now, day = self.clock(), self.day()
        free = [a for a in self.agents.values() if a.can_take_call(now) and self.may_offer(a.id)]
        for queue, call in self.waiting_in_order():
            if not free:
                return
            if call.offering:
                continue
            for agent in choose(call, queue, eligible(call, queue, free, self.agents, now), now, day):
                free.remove(agent)
                self._start_offer(queue, call, agent)

    def tick(self) -> None:
        """Time-driven changes: wrap-ups that ended, announcements, overflows; then dispatch."""
        now = self.clock()
        for agent in self.agents.values():
            if agent.wrap_up_due(now):
                agent.make_available(now)
        for queue in list(self.queues.values()):
            logged_in = self._logged_in(queue)
            for call in due_overflows(queue, now, logged_in):
                self._overflow(queue, call)
            for note in due_announcements(queue, now, logged_in):
                music = queue.config.music_on_hold
                self._spawn(
                    self.switch.announce(note.call.call_uuid, note.position, note.estimated_wait_s, music)
                )
        self.dispatch()

    def on_hangup(self, uuid: str, cause: str = "") -> None:
        """A channel the ACD may hold ended. Unknown uuids are ignored; repeats are harmless."""
        with call_context(uuid):
            if self.queue_of(uuid) is not None:
                self._abandon(uuid, cause)
            elif uuid in self.bridged:
                self._end_bridge(self.bridged[uuid], hang_up=self.bridged[uuid].leg_uuid)
            elif uuid in self._leg_owner:
                bridge = self.bridged[self._leg_owner[uuid]]
                self._end_bridge(bridge, hang_up=bridge.call_uuid)
        self.dispatch()

    def held_uuids(self) -> list[str]:
        """Every channel the ACD tracks: waiting callers, ringing legs, bridged legs."""
        uuids: list[str] = []
        for queue in self.queues.values():
            for call in queue.ordered():
                uuids += [*([] if call.callback_number else [call.call_uuid]), *call.offers.values()]
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

    def _count(self, queue: CallQueue, what: str) -> None:
        for stats in (self.stats, queue.stats):
            getattr(stats, f"call_{what}")()
        self.on_event(what)

    def _logged_in(self, queue: CallQueue) -> int:
        probe = WaitingCall("", "", 0.0)
        return sum(
            1
            for a in self.agents.values()
            if a.state is not AgentState.LOGGED_OUT and serves(a, queue, probe)
        )

    def _start_offer(self, queue: CallQueue, call: WaitingCall, agent: Agent) -> None:
        leg_uuid = str(uuidlib.uuid4())
        agent.offer(call.call_uuid, leg_uuid)
        call.offers[agent.id] = leg_uuid
        queue.last_offered = agent.id
        offer = Offer(call, agent, leg_uuid, queue.config)
        self._spawn(ring_back(self, offer) if call.callback_number else self._offer(offer))

    async def _offer(self, offer: Offer) -> None:
        call, agent, leg = offer.call, offer.agent, offer.leg_uuid
        with call_context(call.call_uuid):
            if self.reserve is not None and not await self._reserve(offer):
                return
            try:
                await self.notifier.agent_offered(offer)
            except Exception:  # a lost screen pop must not lose the call
                log.exception("screen pop for agent %s failed", agent.id)
            self.on_originate(self.clock() - call.enqueued_at)  # routing latency metric
            try:
                outcome = await self.switch.originate_agent(offer)
            except Exception:
                log.exception("originate to agent %s failed", agent.id)
                outcome = OriginateOutcome(False, "ORIGINATOR_ERROR")
            if not self._still_offered(offer):  # the caller left, or another phone won the ring-all
                if outcome.answered:
                    await self.switch.hang_up(leg, "ORIGINATOR_CANCEL")
                return
            if not outcome.answered:
                self._missed(offer, outcome.cause)
                return
            self._cancel_other_rings(call, keep=agent.id)
            bridged = await self.switch.bridge(call.call_uuid, leg)
            if not self._still_offered(offer):
                await self.switch.hang_up(leg, "ORIGINATOR_CANCEL")
                return
            if bridged:
                self._answered(offer)
            else:
                await self.switch.hang_up(leg, "NORMAL_TEMPORARY_FAILURE")
                await self._bridge_failed(offer)

    async def _bridge_failed(self, offer: Offer) -> None:
        """The agent answered but the bridge was refused. A caller who hung up while the call was being
        handed over (the hangup came before the ACD owned the call, so it was not ours to see) is gone
        for good: offering them again would ring agents for nobody, forever. Anyone else is offered
        again."""
        call, agent = offer.call, offer.agent
        try:
            caller_there = await self.switch.exists(call.call_uuid)
        except Exception:  # cannot tell: keep the caller, the next try or the resync settles it
            caller_there = True
        if not caller_there:
            log.warning("bridge to agent %s failed: the caller is gone", agent.id)
            self.on_hangup(call.call_uuid, "CALLER_GONE")
            return
        log.warning("bridge to agent %s failed; offering again", agent.id)
        if self._still_offered(offer):
            call.offers.pop(agent.id, None)
            agent.ring_cancelled()
            self.dispatch()

    async def _reserve(self, offer: Offer) -> bool:
        """Replicas: the agent is ours only once the shared CAS is won; a lost race (another instance
        rings them) puts the agent back and gives the caller to someone else."""
        try:
            won = await self.reserve(offer)
        except Exception:
            log.exception("reserving agent %s failed", offer.agent.id)
            won = False
        if not won and self._still_offered(offer):
            offer.call.offers.pop(offer.agent.id, None)
            offer.agent.ring_cancelled()
            self.dispatch()
        return won

    def _still_offered(self, offer: Offer) -> bool:
        queue = self.queue_of(offer.call.call_uuid)
        return (
            queue is not None
            and queue.get(offer.call.call_uuid) is offer.call
            and offer.call.offers.get(offer.agent.id) == offer.leg_uuid
            and offer.agent.state is AgentState.RINGING
            and offer.agent.leg_uuid == offer.leg_uuid
        )

    def _cancel_other_rings(self, call: WaitingCall, keep: str | None = None) -> None:
        for agent_id, leg in list(call.offers.items()):
            if agent_id == keep:
                continue
            del call.offers[agent_id]
            agent = self.agents.get(agent_id)
            if agent and agent.state is AgentState.RINGING and agent.leg_uuid == leg:
                agent.ring_cancelled()
            self._spawn(self.switch.hang_up(leg, "ORIGINATOR_CANCEL"))

    def _missed(self, offer: Offer, cause: str) -> None:
        log.info("agent %s did not answer (%s)", offer.agent.id, cause)
        offer.agent.not_answered(self.clock(), max_missed=self.max_missed, reject_delay_s=self.reject_delay_s)
        offer.call.offers.pop(offer.agent.id, None)  # the caller keeps their place at the head
        if offer.call.for_agent == offer.agent.id:  # a transfer to this agent went unanswered
            offer.call.for_agent = None  # any agent of the queue may take the caller now
        self.on_event("agent_no_answer")
        self.dispatch()

    def _answered(self, offer: Offer) -> None:
        call, agent = offer.call, offer.agent
        queue = self.queue_of(call.call_uuid)
        queue.remove(call.call_uuid)
        agent.answered(self.clock())
        wait = call.wait_s(self.clock())
        for stats in (self.stats, queue.stats):
            stats.call_answered(wait, agent.id)
        if wait <= queue.config.service_level_s:
            queue.stats.answered_in_sl += 1
        self.bridged[call.call_uuid] = Bridged(
            call.call_uuid,
            agent.id,
            offer.leg_uuid,
            call.caller_number,
            queue.name,
            dict(call.call_data),
            call.vip,
            call.priority,
            dict(call.skills),
        )
        self._leg_owner[offer.leg_uuid] = call.call_uuid
        if call.caller_number:
            self.last_agent[call.caller_number] = agent.id
        self.on_event("answered")
        self.record(CallEvent("answered", queue.name, call.call_uuid, agent.id, wait))
        log.info("bridged to agent %s after %.1f s", agent.id, wait)

    def _abandon(self, call_uuid: str, cause: str) -> None:
        queue = self.queue_of(call_uuid)
        call = queue.remove(call_uuid) if queue is not None else None
        if call is None:
            return
        wait = call.wait_s(self.clock())
        for stats in (self.stats, queue.stats):
            stats.call_abandoned(wait)
        self.on_event("abandoned")
        self.record(CallEvent("abandoned", queue.name, call_uuid, wait_s=wait))
        log.info("caller left the queue after %.1f s (%s)", wait, cause)
        self._cancel_other_rings(call)

    def _overflow(self, queue: CallQueue, call: WaitingCall) -> None:
        target = queue.config.overflow
        if target != CALLBACK or not call.caller_number:
            queue.remove(call.call_uuid)
        self._count(queue, "overflowed")
        self.record(CallEvent("overflowed", queue.name, call.call_uuid, wait_s=call.wait_s(self.clock())))
        if target == CALLBACK and call.caller_number:  # keeps the place, as a queued callback
            to_callback(self, queue, call)
            return
        next_queue = self.queues.get(target)
        if next_queue is not None and next_queue is not queue and not next_queue.full:
            log.info("overflow from %s to %s", queue.name, target, extra={"call_uuid": call.call_uuid})
            call.entered_at = self.clock()
            call.next_announce_at = call.entered_at + next_queue.config.announce_every_s
            next_queue.add(call)
            self._spawn(self.switch.hold(call.call_uuid, next_queue.config.music_on_hold))
            return
        if target != GOODBYE:
            log.warning("overflow target %r unusable: saying goodbye", target)
        self._spawn(self.switch.goodbye(call.call_uuid, queue.config.goodbye_prompt))

    def add_bridge(self, bridge: Bridged) -> None:
        """A call the ACD did not queue (an agent's outbound call, R-ACD5) ends like a queued one."""
        self.bridged[bridge.call_uuid] = bridge
        self._leg_owner[bridge.leg_uuid] = bridge.call_uuid

    def release(self, bridge: Bridged) -> None:
        """The agent lets go of the call (transfer, hang-up): wrap-up starts; nothing is hung up here."""
        self._end_bridge(bridge, hang_up=None)
        self.dispatch()

    def _end_bridge(self, bridge: Bridged, *, hang_up: str | None) -> None:
        self.bridged.pop(bridge.call_uuid, None)
        self._leg_owner.pop(bridge.leg_uuid, None)
        agent = self.agents.get(bridge.agent_id)
        queue = self.queues.get(bridge.queue)
        if agent and agent.state is AgentState.ON_CALL and agent.leg_uuid == bridge.leg_uuid:
            talk_start = agent.call_started
            wrap = queue.config.wrap_up_s if queue is not None else 0.0
            agent.call_ended(self.clock(), wrap, self.day())
            if queue is not None:
                queue.stats.call_talked(self.clock() - talk_start)
        log.info("call with agent %s ended", bridge.agent_id)
        if hang_up is not None:
            self._spawn(self.switch.hang_up(hang_up, "NORMAL_CLEARING"))

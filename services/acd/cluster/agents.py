"""Agent availability shared by the replicas (design §4; R-ACD6): no agent is offered two calls.

The rule: an instance may ring an agent only after it has moved the agent's ``agent_state`` entry from
``available`` to ``ringing`` (itself, the call, the leg) with a compare-and-set. Of two instances that
picked the same agent from the same revision, exactly one wins; the loser puts the agent back and
offers the caller to someone else. Until this instance has *seen* an agent available in the bucket
(its own write or another's, through the watch) it does not offer them a call at all.

The instance that holds an agent's call (``ringing``, ``on_call``, ``wrap_up``) is the only one that
moves the entry on; when it lets the agent go (wrap-up over, missed ring, cancelled ring) it publishes
the new state, and every other instance mirrors available / on break / logged out into its own
:class:`~careline.acd.domain.agents.Agent` objects (so log-in, breaks and log-out over HTTP reach every
replica). A dead instance's held agents are released by :mod:`.adoption`.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

from careline.acd.cluster.records import AVAILABLE, AgentRecord
from careline.acd.domain.agents import Agent, AgentState
from careline.core.bus import Conflict

log = logging.getLogger("careline.acd.cluster")

CONTENDED = AgentRecord("contended")  # lost a race: not offered until the watch shows the winner


class AgentBoard:
    def __init__(self, kv, distributor, instance: str, wall: Callable[[], float] = time.time) -> None:
        self.kv = kv
        self.distributor = distributor
        self.instance = instance
        self.wall = wall
        self.view: dict[str, tuple[AgentRecord, int]] = {}  # agent id -> (record, revision) last seen
        self.published: dict[str, str] = {}  # agent id -> local state known to match the bucket

    # --- the reservation (called by the distributor before every originate) -------------------
    def may_offer(self, agent_id: str) -> bool:
        seen = self.view.get(agent_id)
        return seen is not None and seen[0].state == AVAILABLE

    async def reserve(self, offer) -> bool:
        """CAS available → ringing(this instance, call, leg). False: someone else has the agent."""
        agent_id = offer.agent.id
        entry = await self.kv.get(agent_id)
        record = AgentRecord.decode(entry.value) if entry is not None else None
        if record is None or record.state != AVAILABLE:
            if entry is not None:
                self._see(agent_id, record, entry.revision)
            return False
        mine = AgentRecord("ringing", self.instance, offer.call.call_uuid, offer.leg_uuid, since=self.wall())
        try:
            revision = await self.kv.update(agent_id, mine.encode(), entry.revision)
        except Conflict:
            self.view[agent_id] = (CONTENDED, entry.revision)
            return False
        self.view[agent_id] = (mine, revision)
        self.published[agent_id] = AgentState.RINGING.value
        return True

    # --- this instance's own changes ----------------------------------------------------------
    async def publish_changes(self) -> None:
        """Write every local agent whose state moved since it last matched the bucket. Ringing is
        written by :meth:`reserve` only."""
        for agent in list(self.distributor.agents.values()):
            state = agent.state.value
            if agent.state is AgentState.RINGING or self.published.get(agent.id) == state:
                continue
            await self._publish(agent)

    async def _publish(self, agent: Agent) -> None:
        record = AgentRecord(
            agent.state.value,
            self.instance,
            agent.call_uuid or "",
            agent.leg_uuid or "",
            agent.break_reason or "",
            self.wall(),
        )
        seen = self.view.get(agent.id)
        if seen is None and agent.state is AgentState.LOGGED_OUT:
            # Nothing to say about an agent nobody has logged in yet; writing it would race (and could
            # undo) a log-in on another replica.
            self.published[agent.id] = record.state
            return
        if seen is not None and seen[0].held_by_other(self.instance) and record.state not in ("on_call",):
            # Another instance holds the agent's call: our idle view must not overwrite it.
            self.published[agent.id] = record.state
            return
        try:
            if seen is None:
                revision = await self.kv.create(agent.id, record.encode())
            else:
                revision = await self.kv.update(agent.id, record.encode(), seen[1])
        except Conflict:
            entry = await self.kv.get(agent.id)  # someone wrote first: look again next round
            if entry is not None:
                self._see(agent.id, AgentRecord.decode(entry.value), entry.revision)
            return
        self.view[agent.id] = (record, revision)
        self.published[agent.id] = record.state

    async def write(self, agent_id: str, record: AgentRecord, revision: int) -> bool:
        """A CAS write on another instance's behalf (a take-over); False when someone was first."""
        try:
            self.view[agent_id] = (record, await self.kv.update(agent_id, record.encode(), revision))
        except Conflict:
            return False
        agent = self.distributor.agents.get(agent_id)
        if agent is not None and not agent.busy:
            self._mirror(agent, record)
        return True

    # --- other instances' changes (the watch) -------------------------------------------------
    def apply(self, agent_id: str, raw: bytes | None, revision: int) -> None:
        if raw is None:
            self.view.pop(agent_id, None)
            return
        seen = self.view.get(agent_id)
        if seen is not None and seen[1] >= revision:
            return  # our own write, or older than what we know
        record = AgentRecord.decode(raw)
        self._see(agent_id, record, revision)
        agent = self.distributor.agents.get(agent_id)
        if record.instance == self.instance or agent is None or agent.busy:
            return  # a ring of ours stands or falls by its CAS
        self._mirror(agent, record)
        self.distributor.dispatch()

    def _see(self, agent_id: str, record: AgentRecord, revision: int) -> None:
        seen = self.view.get(agent_id)
        if seen is None or seen[1] <= revision:
            self.view[agent_id] = (record, revision)

    def _mirror(self, agent: Agent, record: AgentRecord) -> None:
        """Take another instance's available / on break / logged out into the local agent."""
        now = self.distributor.clock()
        try:
            if record.state == AVAILABLE:
                agent.make_available(now)
            elif record.state == AgentState.ON_BREAK.value:
                if agent.state is AgentState.LOGGED_OUT:
                    agent.log_in(now)
                agent.take_break(record.reason, now)
            elif record.state == AgentState.LOGGED_OUT.value:
                agent.log_out(now)
        except Exception:  # a transition the local agent refuses: keep it; the bucket decides offers
            log.warning("agent %s: could not mirror %s", agent.id, record.state, exc_info=True)
        self.published[agent.id] = agent.state.value

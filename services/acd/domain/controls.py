"""An agent's call controls (R-ACD3, R-ACD4, R-ACD5): hold, transfer, hang-up, outbound call.

The browser desktop drives these over HTTP; answering stays the phone's. Each control finds the agent's
call (refused with a reason when there is none), tells the switch, then changes the agent:

- hold / unhold: the caller hears the hold music and the agent silence, the bridge kept (on real phones a
  ``uuid_hold`` either way gave dead air, issue 8; switch.py says what was measured); hold time counts in
  the agent's workload;
- blind transfer to a queue: the caller is moved to the hold extension and queued again with their call
  data, class and skills (voice and data move together, R-ACD4); the agent wraps up;
- blind transfer to an agent: the same, the caller waiting only for that agent (if they miss the ring,
  any agent of the queue may take the caller);
- blind transfer to a number: the caller goes to the number through the dialplan; the agent wraps up;
- hang-up: both legs end; the agent wraps up;
- outbound call (callbacks, care calls, R-ACD5): the agent's phone first, then the number; the call then
  ends like any other (hang-up either side, wrap-up).
"""

from __future__ import annotations

import logging
import uuid as uuidlib
from dataclasses import dataclass
from typing import Protocol

from careline.acd.domain.agents import Agent, AgentState
from careline.acd.domain.errors import QueueNotConfigured
from careline.acd.domain.queue import WaitingCall
from careline.acd.domain.routing import Bridged, Distributor
from careline.core.web import Conflict

log = logging.getLogger("careline.acd.controls")


class NoCall(Conflict):
    def __init__(self, agent_id: str, state: str) -> None:
        super().__init__(f"agent {agent_id!r} has no call (state {state})")


class ControlSwitch(Protocol):
    async def hold_call(self, caller: str, on: bool) -> bool:
        """Hold / unhold the bridged call: the caller hears music meanwhile, the agent silence."""

    async def transfer(self, uuid: str, destination: str) -> bool: ...

    async def hang_up(self, uuid: str, cause: str) -> None: ...

    async def dial_out(self, agent: Agent, agent_leg: str, number: str, number_leg: str) -> tuple[bool, str]:
        """Ring the agent's phone; once answered it dials the number. (answered, cause)."""


@dataclass(frozen=True)
class Outbound:
    agent_leg: str
    number_leg: str
    number: str


class CallControls:
    def __init__(self, acd: Distributor, switch: ControlSwitch, hold_extension: str) -> None:
        self.acd = acd
        self.switch = switch
        self.hold_extension = hold_extension  # parks a caller between agents (the dialplan's)

    def call_of(self, agent_id: str) -> tuple[Agent, Bridged]:
        agent = self.acd.agent(agent_id)
        bridge = next((b for b in self.acd.bridged.values() if b.agent_id == agent_id), None)
        if agent.state is not AgentState.ON_CALL or bridge is None or bridge.leg_uuid != agent.leg_uuid:
            raise NoCall(agent_id, agent.state.value)
        return agent, bridge

    async def hold(self, agent_id: str, on: bool = True) -> Agent:
        agent, bridge = self.call_of(agent_id)
        if agent.on_hold == on:
            return agent  # a repeated click: a second broadcast would stack the music
        if not await self.switch.hold_call(bridge.call_uuid, on):  # the caller hears music
            raise Conflict(f"the switch refused to {'hold' if on else 'unhold'} the call")
        agent, bridge = self.call_of(agent_id)  # the caller may have hung up meanwhile
        (agent.hold if on else agent.unhold)(self.acd.clock())
        return agent

    async def hang_up(self, agent_id: str) -> Agent:
        agent, bridge = self.call_of(agent_id)
        self.acd.release(bridge)
        await self.switch.hang_up(bridge.call_uuid, "NORMAL_CLEARING")
        await self.switch.hang_up(bridge.leg_uuid, "NORMAL_CLEARING")
        return agent

    async def to_number(self, agent_id: str, number: str) -> Agent:
        agent, bridge = self.call_of(agent_id)
        self.acd.release(bridge)  # the transfer hangs up the agent's leg; that hangup is then unknown
        if not await self.switch.transfer(bridge.call_uuid, number):
            log.warning("transfer to %s refused", number, extra={"call_uuid": bridge.call_uuid})
        return agent

    async def to_queue(self, agent_id: str, queue: str, for_agent: str | None = None) -> Agent:
        if queue not in self.acd.queues:
            raise QueueNotConfigured(queue)
        if for_agent is not None:
            target = self.acd.agent(for_agent)
            if target.id == agent_id or target.state is AgentState.LOGGED_OUT:
                raise Conflict(f"agent {for_agent!r} cannot take a transfer (state {target.state.value})")
        agent, bridge = self.call_of(agent_id)
        self.acd.release(bridge)
        if not await self.switch.transfer(bridge.call_uuid, self.hold_extension):
            raise Conflict("the call could not be moved to the hold extension")
        call = WaitingCall(
            call_uuid=bridge.call_uuid,
            caller_number=bridge.caller_number,
            enqueued_at=0.0,
            vip=bridge.vip,
            priority=bridge.priority,
            call_data={**bridge.call_data, "transferred_by": agent_id},
            skills=dict(bridge.skills),
            for_agent=for_agent,
        )
        result = await self.acd.enqueue(call, queue)
        if not result.accepted:
            raise Conflict(f"queue {queue!r} refused the call: {result.reason}")
        return agent

    async def to_agent(self, agent_id: str, target_id: str) -> Agent:
        """Blind transfer to a colleague, through the call's own queue (or the first one)."""
        _, bridge = self.call_of(agent_id)
        queue = bridge.queue if bridge.queue in self.acd.queues else self.acd.require_queue().name
        return await self.to_queue(agent_id, queue, for_agent=target_id)

    async def dial_out(self, agent_id: str, number: str, call_data: dict[str, str] | None = None) -> Outbound:
        """Callback / care call (R-ACD5): the agent's phone rings first; once answered, the number."""
        agent = self.acd.agent(agent_id)
        now = self.acd.clock()
        if agent.state in (AgentState.WRAP_UP, AgentState.ON_BREAK):
            agent.make_available(now)
        if agent.state is not AgentState.AVAILABLE:
            raise Conflict(f"agent {agent_id!r} is {agent.state.value}: cannot call out")
        out = Outbound(str(uuidlib.uuid4()), str(uuidlib.uuid4()), number)
        agent.offer(out.number_leg, out.agent_leg)  # ringing: the distributor offers them nothing now
        answered, cause = await self.switch.dial_out(agent, out.agent_leg, number, out.number_leg)
        if agent.state is not AgentState.RINGING or agent.leg_uuid != out.agent_leg:
            return out  # changed meanwhile (a supervisor's action): leave it
        if not answered:
            agent.ring_cancelled()
            self.acd.dispatch()
            raise Conflict(f"the agent's phone did not answer ({cause})")
        agent.answered(self.acd.clock())
        bridge = Bridged(out.number_leg, agent_id, out.agent_leg, number, "", dict(call_data or {}))
        bridge.outbound = True
        self.acd.add_bridge(bridge)
        return out

"""Attended transfer and three-way conference (R-ACD3, issue 3): an agent's second line, driven over HTTP.

Attended transfer, all on parked legs (what FreeSWITCH does without a second phone line):
- consult: the caller and the agent both leave their bridge for the hold extension (``uuid_transfer
  <caller> -both``); the caller hears music on hold (the agent's hold time counts); the target (a free
  agent, rung as ringing so the distributor offers them nothing, or a number) is dialled to park and,
  once answered, bridged to the agent;
- complete: the target and the agent leave their bridge together (``-both``), the caller is bridged to
  the target; the agent's leg is hung up and the agent wraps up; a target agent now owns the call;
- cancel: the same split, the target is hung up (a target agent is free again), the caller is bridged
  back to the agent.

Three-way conference: caller and agent move together into a room (``uuid_transfer <caller> -both
<conference extension>``), then the third party (agent or number) is dialled into it. The call stays the
agent's: hang-up or the caller leaving ends it as before.
"""

from __future__ import annotations

import logging
import uuid as uuidlib
from dataclasses import dataclass
from typing import Protocol

from careline.acd.domain.agents import Agent, AgentState
from careline.acd.domain.controls import CallControls
from careline.acd.domain.routing import Bridged
from careline.acd.legs import leg_vars
from careline.core.web import Conflict, DomainError

log = logging.getLogger("careline.acd.consult")


class ConsultSwitch(Protocol):
    async def transfer_both(self, uuid: str, destination: str) -> bool: ...

    async def dial_to_park(self, leg_uuid: str, dial: str, variables: dict[str, str]) -> tuple[bool, str]: ...

    async def dial_to_conference(
        self, leg_uuid: str, dial: str, room: str, variables: dict[str, str]
    ) -> tuple[bool, str]: ...

    async def bridge(self, call_uuid: str, leg_uuid: str) -> bool: ...

    async def hold(self, call_uuid: str, music: str) -> bool: ...

    async def hang_up(self, uuid: str, cause: str) -> None: ...


@dataclass
class Consultation:
    agent_id: str
    caller_uuid: str
    target_leg: str
    target_agent: str | None
    number: str | None


class Consultations:
    def __init__(
        self,
        controls: CallControls,
        switch: ConsultSwitch,
        *,
        agent_dial: str = "user/{extension}",
        outbound_dial: str = "sofia/gateway/pstn/{number}",
        conference_extension: str = "careline-conf-{room}",
        music: str = "local_stream://moh",
    ) -> None:
        self.controls, self.acd, self.switch = controls, controls.acd, switch
        self.agent_dial, self.outbound_dial = agent_dial, outbound_dial
        self.conference_extension, self.music = conference_extension, music
        self.open: dict[str, Consultation] = {}  # agent id -> consultation

    def _target(
        self, agent_id: str, target_agent: str | None, number: str | None
    ) -> tuple[Agent | None, str]:
        if bool(target_agent) == bool(number):
            raise DomainError("give exactly one of agent, number")
        if number:
            return None, self.outbound_dial.format(number=number)
        target = self.acd.agent(target_agent)
        if target.id == agent_id or not target.can_take_call(self.acd.clock()):
            raise Conflict(f"agent {target.id!r} cannot take a consultation (state {target.state.value})")
        return target, self.agent_dial.format(extension=target.extension)

    async def consult(
        self, agent_id: str, target_agent: str | None = None, number: str | None = None
    ) -> Agent:
        agent, bridge = self.controls.call_of(agent_id)
        if agent_id in self.open:
            raise Conflict(f"agent {agent_id!r} is already consulting")
        target, dial = self._target(agent_id, target_agent, number)
        leg = str(uuidlib.uuid4())
        consultation = Consultation(agent_id, bridge.call_uuid, leg, target.id if target else None, number)
        if target is not None:
            target.offer(bridge.call_uuid, leg)  # ringing: the distributor offers them nothing meanwhile
        self.open[agent_id] = consultation
        if not await self.switch.transfer_both(bridge.call_uuid, self.controls.hold_extension):
            self._forget(consultation, answered=False)
            raise Conflict("the switch refused to put the caller on hold")
        await self.switch.hold(bridge.call_uuid, self.music)
        agent.hold(self.acd.clock())
        variables = self._leg_vars(agent, bridge, "consult", target)
        answered, cause = await self.switch.dial_to_park(leg, dial, variables)
        if not answered or not await self.switch.bridge(bridge.leg_uuid, leg):
            self._forget(consultation, answered=False)
            await self._back_to_caller(agent_id, bridge)
            raise Conflict(f"the consultation was not answered ({cause or 'bridge failed'})")
        if target is not None and target.state is AgentState.RINGING and target.leg_uuid == leg:
            target.answered(self.acd.clock())
        return agent

    @staticmethod
    def _leg_vars(agent: Agent, bridge: Bridged, kind: str, target: Agent | None) -> dict[str, str]:
        """The consulted / third party's leg: the caller's call, shown as the agent calling (issue 8)."""
        extra = {"careline_agent": target.id} if target is not None else {}
        return leg_vars(bridge.call_uuid, kind, agent.extension, f"{kind} {agent.name}", **extra)

    def _open(self, agent_id: str) -> tuple[Agent, Bridged, Consultation]:
        agent, bridge = self.controls.call_of(agent_id)
        consultation = self.open.get(agent_id)
        if consultation is None:
            raise Conflict(f"agent {agent_id!r} is not consulting")
        return agent, bridge, consultation

    async def complete(self, agent_id: str) -> Agent:
        agent, bridge, consultation = self._open(agent_id)
        del self.open[agent_id]
        await self.switch.transfer_both(consultation.target_leg, self.controls.hold_extension)
        self.acd.release(bridge)  # the agent's leg is hung up below: that hangup is then unknown
        if not await self.switch.bridge(bridge.call_uuid, consultation.target_leg):
            log.warning("caller not bridged to the consulted party", extra={"call_uuid": bridge.call_uuid})
        await self.switch.hang_up(bridge.leg_uuid, "NORMAL_CLEARING")
        target = self.acd.agents.get(consultation.target_agent or "")
        if (
            target is not None
            and target.state is AgentState.ON_CALL
            and target.leg_uuid == consultation.target_leg
        ):
            handed = Bridged(
                bridge.call_uuid, target.id, consultation.target_leg, bridge.caller_number, bridge.queue
            )
            handed.call_data = {**bridge.call_data, "transferred_by": agent_id}
            self.acd.add_bridge(handed)
        return agent

    async def cancel(self, agent_id: str) -> Agent:
        agent, bridge, consultation = self._open(agent_id)
        del self.open[agent_id]
        await self.switch.transfer_both(consultation.target_leg, self.controls.hold_extension)
        await self.switch.hang_up(consultation.target_leg, "NORMAL_CLEARING")
        self._forget(consultation, answered=True)
        await self._back_to_caller(agent_id, bridge)
        return agent

    async def _back_to_caller(self, agent_id: str, bridge: Bridged) -> None:
        if not await self.switch.bridge(bridge.call_uuid, bridge.leg_uuid):
            log.warning("caller not bridged back to the agent", extra={"call_uuid": bridge.call_uuid})
        agent = self.acd.agents.get(agent_id)
        if agent is not None and agent.state is AgentState.ON_CALL:
            agent.unhold(self.acd.clock())

    def _forget(self, consultation: Consultation, *, answered: bool) -> None:
        self.open.pop(consultation.agent_id, None)
        target = self.acd.agents.get(consultation.target_agent or "")
        if target is None or target.leg_uuid != consultation.target_leg:
            return
        if target.state is AgentState.RINGING:
            target.ring_cancelled()
        elif target.state is AgentState.ON_CALL and answered:
            target.call_ended(self.acd.clock(), 0.0, self.acd.day())
        self.acd.dispatch()

    async def conference(
        self, agent_id: str, target_agent: str | None = None, number: str | None = None
    ) -> str:
        """Caller, agent and a third party in one room; returns the room's name."""
        agent, bridge = self.controls.call_of(agent_id)
        target, dial = self._target(agent_id, target_agent, number)
        room = f"careline-{bridge.call_uuid[:8]}"
        if not await self.switch.transfer_both(bridge.call_uuid, self.conference_extension.format(room=room)):
            raise Conflict("the switch refused to open the conference")
        leg = str(uuidlib.uuid4())
        if target is not None:
            target.offer(bridge.call_uuid, leg)
        variables = self._leg_vars(agent, bridge, "conference", target)
        answered, cause = await self.switch.dial_to_conference(leg, dial, room, variables)
        if target is not None and target.state is AgentState.RINGING and target.leg_uuid == leg:
            if answered:  # the third agent is in the call until they hang up
                target.answered(self.acd.clock())
                self.acd.add_bridge(Bridged(leg, target.id, leg, bridge.caller_number, bridge.queue))
            else:
                target.ring_cancelled()
        if not answered:
            raise Conflict(f"the third party did not answer ({cause})")
        return room

"""Agents' phones rung outside the ACD (issue 8 part 5 "records right", R-ACD6).

When the IVR is down the dialplan rings operators directly (``bridge user/<ext>``); a transfer to a
number can ring an agent's extension; an agent can place a call from the phone. The ACD did not make
those legs, yet the agent is on the phone: offering them a second call would ring a busy phone.

From the switch's events on any channel:
- CHANNEL_CREATE / CHANNEL_ANSWER of a leg that is an agent's phone and not the ACD's own → the agent is
  busy outside (``Agent.outside_legs``): not offered a call, not chosen for a consultation;
- CHANNEL_HANGUP / CHANNEL_HANGUP_COMPLETE of that leg → free again (idle from now, so the longest-idle
  rule does not hand them the next call first) and the distributor offers waiting callers at once.
Both are idempotent (a leg is one entry, repeats change nothing; an ANSWER stands in for a missed
CREATE). On start and after every ESL reconnect the switch's channel list (``show channels as json``)
settles what the events could not say: legs that ended meanwhile free their agent, outbound legs to an
agent's phone that are not one of the ACD's current legs make the agent busy (a list carries no
variables, so a supervisor-agent's eavesdrop leg counts too; it ends with the call it listens to).

Which leg is an agent's phone: an outbound leg whose ``dialed_user`` (what FreeSWITCH's ``user/``
endpoint sets), destination number or SIP To user is the agent's extension; an inbound leg whose
authenticated ``user_name`` / ``sip_auth_username`` is (the agent dialling out). The ACD's own legs carry
``careline_leg`` (legs.py) or are an agent's current leg, and are left to the distributor.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from careline.acd.domain.agents import Agent, AgentState

if TYPE_CHECKING:
    from careline.acd.domain.routing import Distributor

log = logging.getLogger("careline.acd.outside")

RING_EVENTS = ("CHANNEL_CREATE", "CHANNEL_ANSWER")
END_EVENTS = ("CHANNEL_HANGUP", "CHANNEL_HANGUP_COMPLETE")
_CALLED = ("variable_dialed_user", "Caller-Destination-Number", "variable_sip_to_user")
_CALLING = ("variable_user_name", "variable_sip_auth_username")


def _user(value: str | None) -> str:
    """``2001``, ``sip:2001@10.0.0.5:5060`` and ``2001@example.org`` all name extension 2001."""
    return (value or "").strip().removeprefix("sip:").split("@", 1)[0]


@dataclass
class OutsideCalls:
    acd: Distributor
    legs: dict[str, str] = field(default_factory=dict)  # leg uuid -> agent id

    def on_event(self, name: str, headers: Mapping[str, str]) -> None:
        uuid = headers.get("Unique-ID")
        if not uuid:
            return
        if name in END_EVENTS:
            self.ended(uuid)
        elif name in RING_EVENTS and uuid not in self.legs:
            agent = self.agent_of(uuid, headers)
            if agent is not None:
                self.started(uuid, agent)

    def agent_of(self, uuid: str, headers: Mapping[str, str]) -> Agent | None:
        if headers.get("variable_careline_leg") or self._acds(uuid):
            return None  # the ACD's own leg: the distributor accounts for it
        direction = (headers.get("Call-Direction") or "").lower()
        keys = _CALLED if direction == "outbound" else _CALLING
        return self._by_extension(*(headers.get(key) for key in keys))

    def _acds(self, uuid: str) -> bool:
        return any(a.leg_uuid == uuid for a in self.acd.agents.values())

    def _by_extension(self, *values: str | None) -> Agent | None:
        by_extension = {a.extension: a for a in self.acd.agents.values()}
        return next((by_extension[u] for u in map(_user, values) if u in by_extension), None)

    def sync(self, rows: list[Mapping[str, str]]) -> list[str]:
        """Settle against the switch's channel list (``show channels as json`` rows); the legs gone."""
        present = {row.get("uuid") for row in rows}
        gone = [uuid for uuid in self.legs if uuid not in present]
        for uuid in gone:
            self.ended(uuid)
        for row in rows:
            uuid = row.get("uuid") or ""
            if not uuid or uuid in self.legs or (row.get("direction") or "").lower() != "outbound":
                continue
            agent = None if self._acds(uuid) else self._by_extension(row.get("dest"), row.get("presence_id"))
            if agent is not None:
                self.started(uuid, agent)
        return gone

    def started(self, uuid: str, agent: Agent) -> None:
        self.legs[uuid] = agent.id
        agent.outside_legs.add(uuid)
        log.info("agent %s busy on a call the ACD did not make", agent.id, extra={"call_uuid": uuid})

    def ended(self, uuid: str) -> None:
        agent = self.acd.agents.get(self.legs.pop(uuid, ""))
        if agent is None:
            return
        agent.outside_legs.discard(uuid)
        if not agent.outside_legs:
            if agent.state is AgentState.AVAILABLE:
                agent.idle_since = self.acd.clock()  # just off the phone: not the longest idle
            log.info("agent %s free after an outside call", agent.id, extra={"call_uuid": uuid})
            self.acd.dispatch()

    async def resync(self, exists: Callable[[str], Awaitable[bool]]) -> list[str]:
        """After an ESL reconnect: forget legs that ended while the link was down."""
        gone = [uuid for uuid in list(self.legs) if not await exists(uuid)]
        for uuid in gone:
            self.ended(uuid)
        return gone

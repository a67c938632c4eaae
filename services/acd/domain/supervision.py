"""The supervisor's seat (R-SUP1, R-REC2): a live feed of agent and queue changes, alarms and help
requests; the snapshot's seat counts; agents' help requests.

The :class:`Watcher` compares what it saw last with the distributor now (the service calls it every
tick), so every state change reaches the feed, whatever made it (a call, the agent, the supervisor),
without the state machine knowing about supervisors.
"""

from __future__ import annotations

import asyncio
import itertools
from dataclasses import dataclass, field

from careline.acd.domain.agents import AgentState
from careline.core.web import NotFound

SERVING = (AgentState.RINGING, AgentState.ON_CALL, AgentState.WRAP_UP)


def seat_counts(agents) -> dict[str, int]:
    """Serving (ringing, on a call, wrapping up), idle (available), on break, closed (logged out)."""
    states = [a.state for a in agents]
    return {
        "serving": sum(s in SERVING for s in states),
        "idle": states.count(AgentState.AVAILABLE),
        "on_break": states.count(AgentState.ON_BREAK),
        "closed": states.count(AgentState.LOGGED_OUT),
    }


class LiveFeed:
    """Fan-out of supervisor events to every open stream; a slow reader loses old events, not new."""

    def __init__(self, backlog: int = 1000) -> None:
        self.backlog = backlog
        self._readers: set[asyncio.Queue] = set()

    def subscribe(self) -> asyncio.Queue:
        reader: asyncio.Queue = asyncio.Queue(self.backlog)
        self._readers.add(reader)
        return reader

    def unsubscribe(self, reader: asyncio.Queue) -> None:
        self._readers.discard(reader)

    def publish(self, kind: str, data: dict) -> None:
        for reader in self._readers:
            if reader.full():
                reader.get_nowait()
            reader.put_nowait((kind, data))


def agent_view(agent) -> dict:
    return {
        "id": agent.id,
        "state": agent.state.value,
        "break_reason": agent.break_reason,
        "on_hold": agent.on_hold,
        "call_uuid": agent.call_uuid,
        "busy_outside": bool(agent.outside_legs),  # on a call the ACD did not make (domain/outside.py)
    }


class Watcher:
    """Publishes ``agent`` and ``queue`` events for what changed since the last look."""

    def __init__(self, feed: LiveFeed) -> None:
        self.feed = feed
        self._agents: dict[str, dict] = {}
        self._queues: dict[str, int] = {}
        self._primed = False  # the first look only learns (streams start from the present themselves)

    def look(self, acd) -> None:
        for agent in acd.agents.values():
            view = agent_view(agent)
            if self._agents.get(agent.id) != view:
                self._agents[agent.id] = view
                self._publish("agent", view)
        for name, queue in acd.queues.items():
            if self._queues.get(name) != len(queue):
                self._queues[name] = len(queue)
                self._publish("queue", {"name": name, "waiting": len(queue)})
        self._primed = True

    def _publish(self, kind: str, data: dict) -> None:
        if self._primed:
            self.feed.publish(kind, data)


@dataclass
class HelpRequest:
    id: int
    agent_id: str
    message: str
    raised_at: float
    call_uuid: str | None = None
    acknowledged_by: str | None = None

    def as_dict(self) -> dict:
        return {
            "id": self.id,
            "agent_id": self.agent_id,
            "message": self.message,
            "call_uuid": self.call_uuid,
            "acknowledged_by": self.acknowledged_by,
        }


@dataclass
class HelpDesk:
    """Agents raise their hand; a supervisor acknowledges (R-SUP1). Open ones show in the snapshot."""

    feed: LiveFeed
    requests: dict[int, HelpRequest] = field(default_factory=dict)
    _ids: itertools.count = field(default_factory=lambda: itertools.count(1))

    def raise_hand(self, agent, message: str, now: float) -> HelpRequest:
        request = HelpRequest(next(self._ids), agent.id, message, now, agent.call_uuid)
        self.requests[request.id] = request
        self.feed.publish("help", request.as_dict())
        return request

    def acknowledge(self, request_id: int, supervisor: str) -> HelpRequest:
        request = self.requests.get(request_id)
        if request is None:
            raise NotFound(f"help request {request_id} not found")
        if request.acknowledged_by is None:  # idempotent: the first supervisor keeps it
            request.acknowledged_by = supervisor
            self.feed.publish("help", request.as_dict())
        return request

    def open(self) -> list[HelpRequest]:
        return [r for r in self.requests.values() if r.acknowledged_by is None]

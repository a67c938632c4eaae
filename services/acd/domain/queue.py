"""The waiting line and the choice of who serves whom (R-ACD1, R-VIP1; design §3).

Order: VIP callers first, then higher priority, then whoever came first. A caller being offered to an
agent keeps their entry (and so their place at the head): if the agent does not answer, the next agent
is offered the same caller before anyone behind them.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable
from dataclasses import dataclass, field

from careline.acd.domain.agents import Agent, AgentState


@dataclass(frozen=True)
class QueueConfig:
    name: str
    music_on_hold: str = "local_stream://moh"
    no_answer_timeout_s: int = 15  # how long an agent's phone rings before the next agent is tried
    max_wait_s: int = 600  # beyond this a caller is flagged over-waiting (never cut off: R-IVR5)


@dataclass
class WaitingCall:
    call_uuid: str
    caller_number: str
    enqueued_at: float
    vip: bool = False
    priority: int = 0
    call_data: dict[str, str] = field(default_factory=dict)
    offered_to: str | None = None  # agent id while an agent's phone rings for this caller
    offer_leg: str | None = None
    seq: int = 0

    @property
    def offering(self) -> bool:
        return self.offered_to is not None

    def sort_key(self) -> tuple:
        return (not self.vip, -self.priority, self.enqueued_at, self.seq)

    def wait_s(self, now: float) -> float:
        return max(0.0, now - self.enqueued_at)


class CallQueue:
    def __init__(self, config: QueueConfig) -> None:
        self.config = config
        self._calls: dict[str, WaitingCall] = {}
        self._seq = itertools.count()

    def __len__(self) -> int:
        return len(self._calls)

    def __contains__(self, call_uuid: str) -> bool:
        return call_uuid in self._calls

    def add(self, call: WaitingCall) -> WaitingCall:
        """Queue a caller; a repeated request for the same call is the same caller (idempotent)."""
        if call.call_uuid in self._calls:
            return self._calls[call.call_uuid]
        call.seq = next(self._seq)
        self._calls[call.call_uuid] = call
        return call

    def get(self, call_uuid: str) -> WaitingCall | None:
        return self._calls.get(call_uuid)

    def remove(self, call_uuid: str) -> WaitingCall | None:
        return self._calls.pop(call_uuid, None)

    def ordered(self) -> list[WaitingCall]:
        return sorted(self._calls.values(), key=WaitingCall.sort_key)

    def position(self, call_uuid: str) -> int:
        """1-based place in line; 0 when not queued."""
        for place, call in enumerate(self.ordered(), start=1):
            if call.call_uuid == call_uuid:
                return place
        return 0

    def next_unoffered(self) -> list[WaitingCall]:
        return [c for c in self.ordered() if not c.offering]


def idle_order(agents: Iterable[Agent]) -> list[Agent]:
    """Available agents, the one idle longest first (ties by id, so the choice is reproducible)."""
    free = [a for a in agents if a.state is AgentState.AVAILABLE]
    return sorted(free, key=lambda a: (a.idle_since, a.id))


def select_offers(queue: CallQueue, agents: Iterable[Agent]) -> list[tuple[WaitingCall, Agent]]:
    """Pair the callers at the head of the line with the longest-idle agents.

    Every available agent is paired while a caller waits unoffered, so no agent idles while a caller
    waits (the distributor re-runs this after every change).
    """
    return list(zip(queue.next_unoffered(), idle_order(agents), strict=False))

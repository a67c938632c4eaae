"""What one step did, read from the switch's own events (the same for both sides).

- a caller is an inbound leg whose destination is the side's door (``bench-callcenter``/``bench-careline``);
- its wait to agent runs from its CHANNEL_ANSWER to the CHANNEL_ANSWER of the agent leg rung for it
  (mod_callcenter marks that leg ``cc_member_session_uuid``, careline's ACD ``careline_call_id``), both
  from the switch's ``Event-Date-Timestamp``; the wait to bridge ends at the CHANNEL_BRIDGE instead;
- the wait is split into: caller answered → first agent leg created (routing), → agent answered (ringing),
  → bridged;
- served: the agent answered and the two were bridged; unserved: everything else offered;
- legs: every channel the switch created during the step (callers and agents), and how many ended.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

EVENTS = ["CHANNEL_CREATE", "CHANNEL_ANSWER", "CHANNEL_PARK", "CHANNEL_BRIDGE", "CHANNEL_HANGUP_COMPLETE"]
CALLER_OF = ("variable_cc_member_session_uuid", "variable_careline_call_id")


@dataclass
class Caller:
    uuid: str
    number: str
    answered_us: int | None = None
    rung_us: int | None = None  # the first agent leg created for this caller
    agent_answered_us: int | None = None
    bridged_us: int | None = None
    parked: bool = False

    @property
    def served(self) -> bool:
        return self.agent_answered_us is not None and self.bridged_us is not None


class Watch:
    """Fed every event of one step; ``on_park(uuid, number)`` is called once per parked caller."""

    def __init__(self, door: str, on_park: Callable[[str, str], None] | None = None) -> None:
        self.door, self.on_park = door, on_park
        self.callers: dict[str, Caller] = {}
        self.created: set[str] = set()
        self.ended: set[str] = set()
        self.agent_legs: dict[str, str] = {}  # agent leg uuid -> caller uuid

    def on_event(self, ev: dict) -> None:
        name, uuid = ev.get("Event-Name"), ev.get("Unique-ID", "")
        ts = int(ev.get("Event-Date-Timestamp") or 0)
        if name == "CHANNEL_CREATE":
            self.created.add(uuid)
            inbound = ev.get("Call-Direction") == "inbound"
            if inbound and ev.get("Caller-Destination-Number") == self.door:
                self.callers[uuid] = Caller(uuid, ev.get("Caller-Caller-ID-Number", ""))
            else:
                owner = self._owner(ev)
                if owner is not None and owner.rung_us is None:
                    owner.rung_us = ts
        elif name == "CHANNEL_ANSWER":
            self._answered(uuid, ev, ts)
        elif name == "CHANNEL_PARK":
            caller = self.callers.get(uuid)
            if caller is not None and not caller.parked:
                caller.parked = True
                if self.on_park is not None:
                    self.on_park(uuid, caller.number)
        elif name == "CHANNEL_BRIDGE":
            for leg in (ev.get("Bridge-A-Unique-ID"), ev.get("Bridge-B-Unique-ID"), uuid):
                caller = self.callers.get(leg or "")
                if caller is not None and caller.bridged_us is None:
                    caller.bridged_us = ts
        elif name == "CHANNEL_HANGUP_COMPLETE":
            self.ended.add(uuid)

    def _answered(self, uuid: str, ev: dict, ts: int) -> None:
        caller = self.callers.get(uuid)
        if caller is not None:
            caller.answered_us = caller.answered_us or ts
            return
        owner = self._owner(ev)
        if owner is not None:
            self.agent_legs[uuid] = owner.uuid
            if owner.agent_answered_us is None:
                owner.agent_answered_us = ts

    def _owner(self, ev: dict) -> Caller | None:
        """The caller an agent leg was rung for, from the variables each ACD sets on it."""
        for header in CALLER_OF:
            owner = self.callers.get(ev.get(header) or "")
            if owner is not None:
                return owner
        return None

    @property
    def live(self) -> int:
        return len(self.created - self.ended)

    def figures(self) -> dict:
        served = [c for c in self.callers.values() if c.served and c.answered_us]
        to_agent = sorted((c.agent_answered_us - c.answered_us) / 1000 for c in served)
        to_bridge = sorted((c.bridged_us - c.answered_us) / 1000 for c in served)
        # where the wait goes: caller answered → agent leg created → agent answered → bridged
        to_ring = sorted((c.rung_us - c.answered_us) / 1000 for c in served if c.rung_us)
        bridging = sorted((c.bridged_us - c.agent_answered_us) / 1000 for c in served)
        return {
            "offered": len(self.callers),
            "served": len(served),
            "legs": len(self.created),
            "legs_ended": len(self.created & self.ended),
            "wait_ms": {"p50": percentile(to_agent, 50), "p99": percentile(to_agent, 99)},
            "bridge_ms": {"p50": percentile(to_bridge, 50), "p99": percentile(to_bridge, 99)},
            "to_ring_ms": {"p50": percentile(to_ring, 50), "p99": percentile(to_ring, 99)},
            "answer_to_bridge_ms": {"p50": percentile(bridging, 50), "p99": percentile(bridging, 99)},
        }


def percentile(ordered: list[float], pct: float) -> float | None:
    """Nearest-rank percentile of an ordered list (None when empty)."""
    if not ordered:
        return None
    rank = max(1, -(-len(ordered) * pct // 100))
    return ordered[int(rank) - 1]

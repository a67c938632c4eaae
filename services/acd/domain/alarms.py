"""Supervisor alarms (R-ACD6, R-SUP1): thresholds per queue, raised once when crossed, cleared once
when back under. Pure: :func:`evaluate` reads the distributor; :class:`AlarmBoard` keeps what is active
and answers the changes, which the service publishes on NATS and shows as metrics.

Kinds: ``queue_length`` (callers waiting ≥ threshold), ``longest_wait`` (the longest current wait ≥
threshold, s), ``service_level`` (answered within T over answered + abandoned < threshold), and
``agent_idle`` (an agent of the queue available for ≥ threshold s).
"""

from __future__ import annotations

from dataclasses import dataclass

from careline.acd.domain.agents import AgentState
from careline.acd.domain.queue import WaitingCall
from careline.acd.domain.strategies import serves

KINDS = ("queue_length", "longest_wait", "service_level", "agent_idle")


@dataclass(frozen=True)
class AlarmState:
    kind: str
    queue: str
    agent_id: str
    active: bool
    value: float
    threshold: float

    @property
    def key(self) -> tuple[str, str, str]:
        return (self.kind, self.queue, self.agent_id)

    def as_dict(self) -> dict:
        return {
            "kind": self.kind,
            "queue": self.queue,
            "agent_id": self.agent_id,
            "active": self.active,
            "value": round(self.value, 3),
            "threshold": self.threshold,
        }


def evaluate(acd, now: float) -> list[AlarmState]:
    """Every alarm whose threshold is crossed now (active ones only)."""
    found: list[AlarmState] = []
    probe = WaitingCall("", "", 0.0)
    for queue in acd.queues.values():
        cfg, name = queue.config, queue.name
        waiting = queue.ordered()
        if cfg.alarm_queue_length and len(waiting) >= cfg.alarm_queue_length:
            found.append(AlarmState("queue_length", name, "", True, len(waiting), cfg.alarm_queue_length))
        longest = max((c.wait_s(now) for c in waiting), default=0.0)
        if cfg.alarm_wait_s and longest >= cfg.alarm_wait_s:
            found.append(AlarmState("longest_wait", name, "", True, longest, cfg.alarm_wait_s))
        level = queue.stats.service_level()
        if cfg.alarm_service_level and level is not None and level < cfg.alarm_service_level:
            found.append(AlarmState("service_level", name, "", True, level, cfg.alarm_service_level))
        if cfg.alarm_agent_idle_s:
            for agent in acd.agents.values():
                idle = now - agent.idle_since
                if (
                    agent.state is AgentState.AVAILABLE
                    and serves(agent, queue, probe)
                    and idle >= cfg.alarm_agent_idle_s
                ):
                    found.append(AlarmState("agent_idle", name, agent.id, True, idle, cfg.alarm_agent_idle_s))
    return found


class AlarmBoard:
    """What is active now; :meth:`update` answers the alarms raised and cleared since the last call."""

    def __init__(self) -> None:
        self.active: dict[tuple[str, str, str], AlarmState] = {}

    def update(self, now_active: list[AlarmState]) -> list[AlarmState]:
        current = {a.key: a for a in now_active}
        changes = [a for k, a in current.items() if k not in self.active]
        for key, old in self.active.items():
            if key not in current:
                changes.append(AlarmState(old.kind, old.queue, old.agent_id, False, old.value, old.threshold))
        self.active = current
        return changes

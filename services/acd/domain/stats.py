"""Queue statistics (R-ACD6, R-STAT1): offered, answered, abandoned, overflowed, waits, talk time,
per-agent handled.

Waits count from entering the queue to leaving it, answered (bridged to an agent) or abandoned (the
caller hung up while waiting); the mean and maximum cover both, since an abandoned caller waited too.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class QueueStats:
    offered: int = 0
    answered: int = 0
    abandoned: int = 0
    overflowed: int = 0
    total_wait_s: float = 0.0
    max_wait_s: float = 0.0
    total_talk_s: float = 0.0
    talked: int = 0
    answered_in_sl: int = 0  # answered within the queue's service-level time
    handled_by_agent: dict[str, int] = field(default_factory=dict)

    def call_offered(self) -> None:
        self.offered += 1

    def call_answered(self, wait_s: float, agent_id: str) -> None:
        self.answered += 1
        self._waited(wait_s)
        self.handled_by_agent[agent_id] = self.handled_by_agent.get(agent_id, 0) + 1

    def call_abandoned(self, wait_s: float) -> None:
        self.abandoned += 1
        self._waited(wait_s)

    def call_overflowed(self) -> None:
        self.overflowed += 1

    def call_talked(self, talk_s: float) -> None:
        self.talked += 1
        self.total_talk_s += max(0.0, talk_s)

    def _waited(self, wait_s: float) -> None:
        self.total_wait_s += wait_s
        self.max_wait_s = max(self.max_wait_s, wait_s)

    @property
    def mean_wait_s(self) -> float:
        left = self.answered + self.abandoned
        return self.total_wait_s / left if left else 0.0

    @property
    def mean_talk_s(self) -> float:
        return self.total_talk_s / self.talked if self.talked else 0.0

    def service_level(self) -> float | None:
        """Answered within T over answered + abandoned; None before any caller has left the queue."""
        left = self.answered + self.abandoned
        return self.answered_in_sl / left if left else None

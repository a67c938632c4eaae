"""Workload per agent (R-ACD6, R-STAT1): calls handled, talk, hold and wrap-up time, missed offers.

``calls_today`` feeds the fewest-calls strategy; it restarts when the day key changes (the distributor
passes the local date, so a night shift's calls do not count against the morning).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class Workload:
    calls: int = 0
    talk_s: float = 0.0
    hold_s: float = 0.0
    wrap_s: float = 0.0
    missed: int = 0
    day: str = ""
    calls_today: int = 0

    def handled(self, talk_s: float, day: str) -> None:
        self.calls += 1
        self.talk_s += max(0.0, talk_s)
        self.roll(day)
        self.calls_today += 1

    def roll(self, day: str) -> None:
        if day != self.day:
            self.day, self.calls_today = day, 0

    def as_dict(self) -> dict[str, float]:
        return {
            "calls": self.calls,
            "talk_s": round(self.talk_s, 3),
            "hold_s": round(self.hold_s, 3),
            "wrap_s": round(self.wrap_s, 3),
            "missed": self.missed,
        }

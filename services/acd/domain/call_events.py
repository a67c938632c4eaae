"""Statistics per queue and interval, per agent (R-STAT1, R-ACD6), from stored facts.

The distributor emits a :class:`CallEvent` when a caller is offered to a queue, answered, abandoned or
overflowed; a sampler adds each agent's workload deltas (talk, hold, wrap, busy and idle time, handled
and missed). These pure functions turn the facts of a time range into the figures a supervisor reads:

- per queue and interval: offered, answered, abandoned, overflowed, average speed of answer (mean wait
  of the answered), service level (answered within T s over answered + abandoned; None when no caller
  left the queue in the interval), longest wait (answered or abandoned);
- per agent: occupancy (busy over busy + idle, busy being ringing, on a call or wrapping up), handled,
  talk / hold / wrap time, missed offers.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from careline.core.web import DomainError

QUEUE_KINDS = ("offered", "answered", "abandoned", "overflowed")
AGENT = "agent"
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
MAX_BUCKETS = 5000


@dataclass(frozen=True)
class CallEvent:
    kind: str  # one of QUEUE_KINDS, or "agent"
    queue: str = ""
    call_uuid: str = ""
    agent_id: str = ""
    wait_s: float = 0.0
    at: dt.datetime = field(default_factory=lambda: dt.datetime.now(dt.UTC))
    talk_s: float = 0.0
    hold_s: float = 0.0
    wrap_s: float = 0.0
    busy_s: float = 0.0
    idle_s: float = 0.0
    handled: int = 0
    missed: int = 0


class BadStatsQuery(DomainError):
    status_code = 422


def parse_interval(text: str) -> dt.timedelta:
    """``15m``, ``1h``, ``30s``, ``1d`` → a positive duration; anything else is refused with a reason."""
    match = re.fullmatch(r"(\d{1,6})([smhd])", text.strip())
    if not match or int(match.group(1)) == 0:
        raise BadStatsQuery(f"interval {text!r} is not a positive <number><s|m|h|d>, e.g. 15m")
    return dt.timedelta(seconds=int(match.group(1)) * _UNITS[match.group(2)])


def check_range(start: dt.datetime, end: dt.datetime, step: dt.timedelta | None = None) -> None:
    if start >= end:
        raise BadStatsQuery(f"from ({start.isoformat()}) must be before to ({end.isoformat()})")
    if step is not None and (end - start) / step > MAX_BUCKETS:
        raise BadStatsQuery(f"more than {MAX_BUCKETS} intervals: widen the interval or narrow the range")


def aware(value: dt.datetime) -> dt.datetime:
    """Naive times (SQLite gives them back so) are UTC."""
    return value if value.tzinfo is not None else value.replace(tzinfo=dt.UTC)


@dataclass
class QueueInterval:
    queue: str
    start: dt.datetime
    end: dt.datetime
    offered: int = 0
    answered: int = 0
    abandoned: int = 0
    overflowed: int = 0
    answered_in_sl: int = 0
    total_answer_wait_s: float = 0.0
    longest_wait_s: float = 0.0

    @property
    def average_speed_of_answer_s(self) -> float | None:
        return self.total_answer_wait_s / self.answered if self.answered else None

    @property
    def service_level(self) -> float | None:
        left = self.answered + self.abandoned
        return self.answered_in_sl / left if left else None


def queue_intervals(
    events: Iterable[CallEvent],
    start: dt.datetime,
    end: dt.datetime,
    step: dt.timedelta,
    service_level_s: float,
) -> list[QueueInterval]:
    """Intervals start at ``start`` and follow each other by ``step``; only intervals with a fact appear."""
    buckets: dict[tuple[str, int], QueueInterval] = {}
    for event in events:
        at = aware(event.at)
        if event.kind not in QUEUE_KINDS or not start <= at < end:
            continue
        index = int((at - start) / step)
        key = (event.queue, index)
        if key not in buckets:
            begin = start + index * step
            buckets[key] = QueueInterval(event.queue, begin, min(end, begin + step))
        _add(buckets[key], event, service_level_s)
    return [buckets[k] for k in sorted(buckets)]


def _add(bucket: QueueInterval, event: CallEvent, service_level_s: float) -> None:
    setattr(bucket, event.kind, getattr(bucket, event.kind) + 1)
    if event.kind == "answered":
        bucket.total_answer_wait_s += event.wait_s
        bucket.answered_in_sl += event.wait_s <= service_level_s
    if event.kind in ("answered", "abandoned"):
        bucket.longest_wait_s = max(bucket.longest_wait_s, event.wait_s)


@dataclass
class AgentFigures:
    agent_id: str
    handled: int = 0
    missed: int = 0
    talk_s: float = 0.0
    hold_s: float = 0.0
    wrap_s: float = 0.0
    busy_s: float = 0.0
    idle_s: float = 0.0

    @property
    def occupancy(self) -> float | None:
        present = self.busy_s + self.idle_s
        return self.busy_s / present if present > 0 else None


def agent_figures(events: Iterable[CallEvent]) -> list[AgentFigures]:
    agents: dict[str, AgentFigures] = {}
    for event in events:
        if event.kind != AGENT:
            continue
        figures = agents.setdefault(event.agent_id, AgentFigures(event.agent_id))
        figures.handled += event.handled
        figures.missed += event.missed
        for name in ("talk_s", "hold_s", "wrap_s", "busy_s", "idle_s"):
            setattr(figures, name, getattr(figures, name) + getattr(event, name))
    return [agents[k] for k in sorted(agents)]

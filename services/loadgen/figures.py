"""The figures of a load run, computed from what each caller lived through (pure: no I/O).

Times are the simulator's (simulated seconds) except routing latency, which the ACD measures on its own
clock (real seconds: it is the software's speed, not the callers' experience).

Definitions:
- offered: callers who rang in; answered: bridged to an agent; abandoned: hung up (patience) before that;
  lost: neither (the call ended some other way, or never ended) — must be 0;
- speed of answer: from pressing 0 to being bridged (includes the agent phone's ring);
- waited: no agent could take the call when the caller entered the queue (the ACD's view);
- service level: answered within 20 s / (answered + abandoned);
- occupancy: agents' ringing + talking time inside the arrival window / (agents × window).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from careline.loadgen.plan import SERVICE_LEVEL_S


@dataclass
class CallerLog:
    uuid: str
    placed_at: float
    queued_at: float | None = None  # pressed 0
    bridged_at: float | None = None
    ended_at: float | None = None
    gave_up: bool = False  # hung up by patience before being bridged


@dataclass
class RunFigures:
    offered: int
    answered: int
    abandoned: int
    lost: int
    asa_s: float
    max_answer_s: float
    waited_fraction: float | None
    service_level: float
    occupancy: float
    peak_calls: int
    latency_ms: dict[str, float] = field(default_factory=dict)  # p50/p99 of all, and of free-agent calls
    lost_how: dict[str, int] = field(default_factory=dict)  # what happened to the lost callers

    @property
    def zero_lost(self) -> bool:
        return self.lost == 0 and self.answered + self.abandoned == self.offered


def percentile(values: list[float], q: float) -> float:
    """Nearest-rank percentile (q in 0..100); NaN for no values."""
    if not values:
        return math.nan
    ordered = sorted(values)
    rank = max(1, math.ceil(q / 100 * len(ordered)))
    return ordered[rank - 1]


def peak_concurrency(intervals: list[tuple[float, float]]) -> int:
    """Most intervals open at one instant (an end and a start at the same time do not overlap)."""
    edges = [(start, 1) for start, _ in intervals] + [(end, -1) for _, end in intervals]
    peak = now = 0
    for _, step in sorted(edges, key=lambda e: (e[0], e[1])):
        now += step
        peak = max(peak, now)
    return peak


def occupancy(busy: list[tuple[float, float]], agents: int, window: tuple[float, float]) -> float:
    start, end = window
    if end <= start or agents <= 0:
        return 0.0
    inside = sum(max(0.0, min(b, end) - max(a, start)) for a, b in busy)
    return inside / (agents * (end - start))


def histogram_quantile(q: float, buckets: list[tuple[float, float]]) -> float:
    """Prometheus-style quantile from cumulative (upper bound, count) buckets, linear inside a bucket."""
    if not buckets or buckets[-1][1] == 0:
        return math.nan
    total = buckets[-1][1]
    target = q * total
    lower, below = 0.0, 0.0
    for upper, count in buckets:
        if count >= target:
            if math.isinf(upper):
                return lower
            inside = count - below
            return lower + (upper - lower) * ((target - below) / inside if inside else 1.0)
        lower, below = upper, count
    return lower


def lost_how(lost: list[CallerLog]) -> dict[str, int]:
    how: dict[str, int] = {}
    for c in lost:
        if c.ended_at is None:
            key = "still up at the end"
        elif c.queued_at is None:
            key = "ended before pressing 0 (IVR)"
        else:
            key = "ended after pressing 0, never bridged"
        how[key] = how.get(key, 0) + 1
    return how


def compute(
    callers: list[CallerLog],
    *,
    agents: int,
    answer_after: float,
    window: tuple[float, float],
    waited: list[bool],
    latencies_s: list[float],
    free_latencies_s: list[float],
) -> RunFigures:
    answered = [c for c in callers if c.bridged_at is not None]
    abandoned = [c for c in callers if c.bridged_at is None and c.gave_up]
    lost = [c for c in callers if c.bridged_at is None and not c.gave_up]
    answer_s = [c.bridged_at - (c.queued_at or c.placed_at) for c in answered]
    within = sum(s <= SERVICE_LEVEL_S for s in answer_s)
    settled = len(answered) + len(abandoned)
    busy = [(c.bridged_at - answer_after, c.ended_at) for c in answered if c.ended_at is not None]
    now_open = [(c.placed_at, c.ended_at if c.ended_at is not None else math.inf) for c in callers]
    ms = lambda xs, q: percentile(xs, q) * 1000  # noqa: E731
    return RunFigures(
        offered=len(callers),
        answered=len(answered),
        abandoned=len(abandoned),
        lost=len(lost),
        asa_s=sum(answer_s) / len(answer_s) if answer_s else 0.0,
        max_answer_s=max(answer_s, default=0.0),
        waited_fraction=sum(waited) / len(waited) if waited else None,
        service_level=within / settled if settled else 0.0,
        occupancy=occupancy(busy, agents, window),
        peak_calls=peak_concurrency(now_open),
        latency_ms={
            "p50": ms(latencies_s, 50),
            "p99": ms(latencies_s, 99),
            "free_p50": ms(free_latencies_s, 50),
            "free_p99": ms(free_latencies_s, 99),
        },
        lost_how=lost_how(lost),
    )

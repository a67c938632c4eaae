"""What one load run does, and the checks its flags must pass (exit 2 with a clear message when not)."""

from __future__ import annotations

import argparse
from dataclasses import dataclass

SERVICE_LEVEL_S = 20.0  # "answered within 20 s"
LIMITS = {  # flag: (lowest allowed, highest allowed, lowest excluded?)
    "rate": (0.0, 500.0, True),
    "agents": (1, 1000, False),
    "handle_time": (0.0, 3600.0, True),
    "patience": (0.0, 3600.0, False),
    "duration": (0.0, 86400.0, True),
    "time_scale": (0.0, 10.0, True),
    "answer_after": (0.0, 60.0, False),
}


@dataclass(frozen=True)
class LoadPlan:
    rate: float  # calls per (simulated) second
    agents: int
    handle_time: float  # mean talk time, simulated seconds (exponential)
    duration: float  # seconds over which callers ring in (simulated)
    patience: float = 0.0  # mean patience in the queue, simulated seconds; 0: callers never give up
    time_scale: float = 1.0  # real seconds per simulated second
    seed: int = 1
    answer_after: float = 0.2  # seconds an agent's phone rings before it is answered
    progress_every: float = 5.0  # real seconds between progress lines

    @property
    def offered_load_erlangs(self) -> float:
        return self.rate * (self.handle_time + self.answer_after)


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="careline loadgen", description=__doc__)
    p.add_argument("--rate", type=float, default=8.0, help="calls per second, Poisson (default 8)")
    p.add_argument("--agents", type=int, default=20, help="agents logged in (default 20)")
    p.add_argument(
        "--handle-time", type=float, default=2.0, help="mean talk time in s, exponential (default 2)"
    )
    p.add_argument(
        "--patience", type=float, default=0.0, help="mean patience in queue, s (default 0: never hang up)"
    )
    p.add_argument("--duration", type=float, default=300.0, help="seconds callers ring in (default 300)")
    p.add_argument("--time-scale", type=float, default=1.0, help="real seconds per simulated second")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--answer-after", type=float, default=0.2, help="agent phones ring this long (s)")
    p.add_argument("--progress-every", type=float, default=5.0, help="real seconds between progress lines")
    p.add_argument("--verbose", action="store_true", help="show the services' logs")
    return p


def parse_args(argv: list[str]) -> tuple[LoadPlan, bool]:
    p = parser()
    a = p.parse_args(argv)
    for name, (low, high, exclusive) in LIMITS.items():
        value = getattr(a, name)
        if value < low or (exclusive and value == low) or value > high:
            bound = f"> {low}" if exclusive else f">= {low}"
            p.error(f"--{name.replace('_', '-')} must be {bound} and <= {high} (got {value})")
    if a.progress_every <= 0:
        p.error("--progress-every must be > 0")
    plan = LoadPlan(
        rate=a.rate,
        agents=a.agents,
        handle_time=a.handle_time,
        duration=a.duration,
        patience=a.patience,
        time_scale=a.time_scale,
        seed=a.seed,
        answer_after=a.answer_after,
        progress_every=a.progress_every,
    )
    return plan, a.verbose

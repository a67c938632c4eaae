"""Back-pressure mechanics the services' backlog watches share (issue 15): an alarm with hysteresis over
a lag and a pending count, counters advanced from running totals, and the periodic look.

No business logic: what is counted, what the alarm is called and where it goes stay with each service
(careline.cdr.backlog, careline.acd.call_log.backlog).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Mapping


class Hysteresis:
    """Raised when the lag or the pending count passes its threshold (or ``force``), cleared once both are
    back under half of their threshold and nothing forces it: a backlog hovering at a threshold does not
    flap."""

    def __init__(self, lag_s: float, pending: int) -> None:
        self.lag_s, self.pending = lag_s, pending
        self.active = False

    def update(self, lag_s: float, pending: int, *, force: bool = False) -> bool:
        """Whether the alarm changed (raised or cleared) with this look."""
        over = force or lag_s > self.lag_s or pending > self.pending
        under = not force and lag_s < self.lag_s / 2 and pending < self.pending / 2
        if over and not self.active:
            self.active = True
            return True
        if under and self.active:
            self.active = False
            return True
        return False


def advance(
    counters: Mapping[str, object], seen: Mapping[str, int], now: Mapping[str, int]
) -> dict[str, int]:
    """Increment each Prometheus counter by what its running total grew since ``seen``; the new ``seen``."""
    for name, value in now.items():
        if value > seen[name]:
            counters[name].inc(value - seen[name])
    return dict(now)


async def every(
    check: Callable[[], Awaitable[object]], every_s: float, log: logging.Logger, what: str
) -> None:
    """Run ``check`` every ``every_s`` seconds forever; one failed look must not stop the next."""
    while True:
        try:
            await check()
        except Exception:
            log.exception("%s failed", what)
        await asyncio.sleep(every_s)

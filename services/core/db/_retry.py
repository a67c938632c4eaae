"""Retrying a unit of work that SQLite refused with "database is locked" (design §5).

busy_timeout makes a writer wait up to 5 s for the lock, but when the whole suite shares two cores
(the demo, loadgen at 30+ calls/s) a lock can be held longer than that while its owner waits for the
event loop, and the write — a CDR, say — would be lost. The unit passed in must be idempotent (it
opens its own session and may run again from the start); anything but a lock error is raised at once.
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Awaitable, Callable
from typing import TypeVar

from sqlalchemy.exc import OperationalError

T = TypeVar("T")
log = logging.getLogger("careline.db")


def is_lock_error(exc: BaseException) -> bool:
    return isinstance(exc, OperationalError) and "database is locked" in str(exc.orig or exc)


async def retry_locked(
    unit: Callable[[], Awaitable[T]], *, attempts: int = 6, first_delay: float = 0.05
) -> T:
    """Run ``unit()``; on a SQLite lock error run it again after a jittered, doubling delay."""
    delay = first_delay
    for attempt in range(1, attempts + 1):
        try:
            return await unit()
        except OperationalError as exc:
            if not is_lock_error(exc) or attempt == attempts:
                raise
            log.warning("database locked; retrying (attempt %d of %d)", attempt, attempts)
            await asyncio.sleep(delay * (0.5 + random.random()))
            delay *= 2
    raise AssertionError("unreachable")

"""The fetch loop mechanics both durable consumers share (design §4): one fetch that never ends the loop
on a passing error, and a stop that returns cleanly whatever the fetch in flight raises as it is cancelled.

A consumer that stops silently loses facts, so nothing here gives up: no message waiting, a reconnect or a
server error each yield an empty fetch and the loop fetches again.
"""

from __future__ import annotations

import asyncio
import logging

import nats.errors
from nats.aio.msg import Msg
from nats.js import JetStreamContext

log = logging.getLogger("careline.core.bus")


async def fetch_some(sub: JetStreamContext.PullSubscription, batch: int, where: str) -> list[Msg]:
    """Up to ``batch`` messages, or [] after a 1 s wait, a reconnect or an error (``where`` names the
    consumer in the log)."""
    try:
        return await sub.fetch(batch, timeout=1.0)
    except TimeoutError:
        # Both nats.errors.TimeoutError and the bare asyncio.TimeoutError that fetch() raises when its
        # deadline runs out between its two pull requests (nats-py 2.16): catching only the former once
        # killed the loop, and the durable stopped receiving.
        stop_if_cancelled()
    except (nats.errors.ConnectionClosedError, nats.errors.ConnectionReconnectingError):
        stop_if_cancelled()
        await asyncio.sleep(0.5)  # the client reconnects on its own; then fetch again
    except nats.errors.Error:
        stop_if_cancelled()
        log.exception("%s: fetch failed; fetching again", where)
        await asyncio.sleep(0.5)
    return []


async def stop_loop(task: asyncio.Task[None] | None, where: str) -> None:
    """Cancel a consumer's loop and wait for it; returns cleanly whatever the cancelled fetch raised (a
    cancelled fetch surfaces as TimeoutError or ConnectionClosedError from nats-py, not only as
    CancelledError), so callers need no workaround of their own."""
    if task is None:
        return
    task.cancel()
    try:
        await task
    except asyncio.CancelledError:
        pass
    except Exception:
        log.warning("%s: loop ended with an error while stopping", where)


def stop_if_cancelled() -> None:
    """A cancelled fetch may surface as TimeoutError or ConnectionClosedError (nats-py turns the
    CancelledError of its inner wait into those): honour the cancellation instead of fetching again."""
    task = asyncio.current_task()
    if task is not None and task.cancelling():
        raise asyncio.CancelledError

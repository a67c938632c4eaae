"""Durable pull consumers that hand a whole batch to one handler and ack only what it committed (design §4).

For writers whose cost is per transaction, not per record (issue 15: one CDR per leg at 30+ calls/s), the
per-message :class:`~careline.core.bus.Consumer` spends a transaction, a session and a handler call on every
message. A :class:`BatchConsumer` fetches up to ``batch`` messages (fewer when fewer are waiting: batches grow
with the load; ``linger`` seconds of waiting after a short batch lets the next one fill), decodes each, and
calls the handler once with the list. Outcomes:

- the handler returns               -> every message of the batch is acked;
- the handler raises                -> the SAME batch is retried in this process with a doubling delay
                                       (``retry_first`` .. ``retry_max``), never given up on; before each
                                       retry every message is marked in progress so the server does not
                                       redeliver it elsewhere meanwhile. A full pool, a locked or restarting
                                       database delays records, never drops them (R-CDR1);
- a payload ``decode`` refuses      -> that message is terminated (a poison message would block the rest)
                                       and logged; the others go on.

The process dying mid-batch leaves the messages unacked: the server redelivers them after ``ack_wait``, so
the handler must be idempotent (an upsert keyed by the message id). ``oldest_unwritten_at`` (server time of
the oldest message fetched and not yet acked) is what the owner turns into an ingest-lag metric and alarm.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Sequence
from typing import Any, Generic, TypeVar

import nats.errors
from nats.aio.msg import Msg
from nats.js import JetStreamContext
from nats.js.api import AckPolicy, ConsumerConfig, DeliverPolicy

from careline.core.bus._pull import fetch_some, stop_loop

log = logging.getLogger(__name__)

T = TypeVar("T")
BatchHandler = Callable[[Sequence[T]], Awaitable[None]]


def raw_bytes(raw: Msg) -> bytes:
    """The default decoder: the payload as it came."""
    return raw.data


class BatchConsumer(Generic[T]):
    """A running durable pull consumer handing batches to one handler. Create with ``bus.consume_batch``."""

    def __init__(
        self,
        js: JetStreamContext,
        *,
        stream: str,
        durable: str,
        subject: str,
        handler: BatchHandler[T],
        decode: Callable[[Msg], T] = raw_bytes,  # type: ignore[assignment]
        batch: int = 256,
        ack_wait: float = 60.0,
        retry_first: float = 0.2,
        retry_max: float = 10.0,
        linger: float = 0.0,
    ):
        self.stream, self.durable, self.subject = stream, durable, subject
        self._js, self._handler, self._decode = js, handler, decode
        self._batch, self._ack_wait = batch, ack_wait
        self._retry_first, self._retry_max = retry_first, retry_max
        self._linger = linger
        self._task: asyncio.Task[None] | None = None
        self.handled = 0  # messages acked after the handler returned
        self.batches = 0  # handler calls that succeeded
        self.failures = 0  # handler calls that raised (each retried)
        self.terminated = 0  # undecodable messages
        self.oldest_unwritten_at: float | None = None  # epoch seconds; None when nothing is held

    async def start(self) -> BatchConsumer[T]:
        config = ConsumerConfig(
            durable_name=self.durable,
            ack_policy=AckPolicy.EXPLICIT,
            ack_wait=self._ack_wait,
            deliver_policy=DeliverPolicy.ALL,
            max_deliver=-1,
            max_ack_pending=max(1000, self._batch * 4),
            filter_subject=self.subject,
        )
        sub = await self._js.pull_subscribe(
            self.subject, durable=self.durable, stream=self.stream, config=config
        )
        self._task = asyncio.create_task(self._run(sub), name=f"consume-batch:{self.stream}:{self.durable}")
        return self

    async def stop(self) -> None:
        """Stop fetching. A batch being retried stays unacked: the server redelivers it (idempotent)."""
        task, self._task = self._task, None
        await stop_loop(task, f"{self.stream}/{self.durable} (batches)")

    @property
    def running(self) -> bool:
        return self._task is not None and not self._task.done()

    def lag_seconds(self, now: float | None = None) -> float:
        """How long the oldest record this consumer holds has waited since it was stored (0: none held)."""
        if self.oldest_unwritten_at is None:
            return 0.0
        return max(0.0, (now or time.time()) - self.oldest_unwritten_at)

    async def pending(self) -> int:
        """Messages the server holds for this durable: not yet delivered plus delivered and unacked."""
        info = await self._js.consumer_info(self.stream, self.durable)
        return int(info.num_pending or 0) + int(info.num_ack_pending or 0)

    # --- the loop -----------------------------------------------------------------------------------
    async def _run(self, sub: JetStreamContext.PullSubscription) -> None:
        try:
            while True:
                msgs = await fetch_some(sub, self._batch, f"{self.stream}/{self.durable}")
                if msgs:
                    await self._handle(msgs)
                if 0 < len(msgs) < self._batch and self._linger:
                    # a short batch: let the next one fill a little (fewer, larger transactions under load)
                    await asyncio.sleep(self._linger)
        finally:
            try:
                await sub.unsubscribe()
            except Exception:  # closing connection: nothing to unsubscribe from
                pass

    async def _handle(self, msgs: list[Msg]) -> None:
        self.oldest_unwritten_at = _stored_at(msgs[0])
        items, keep = [], []
        for raw in msgs:
            try:
                items.append(self._decode(raw))
                keep.append(raw)
            except Exception as err:
                log.error("%s/%s: undecodable message on %s (%s); terminated", self.stream, self.durable,
                          raw.subject, err)  # fmt: skip
                self.terminated += 1
                await _quietly(raw.term())
        if items:
            await self._until_written(items, keep)
        self.oldest_unwritten_at = None

    async def _until_written(self, items: list[Any], msgs: list[Msg]) -> None:
        delay = self._retry_first
        while True:
            try:
                await self._handler(items)
                break
            except asyncio.CancelledError:
                raise
            except Exception:
                self.failures += 1
                log.exception(
                    "%s/%s: batch of %d not written; retrying in %.1f s (attempt %d)",
                    self.stream, self.durable, len(items), delay, self.failures,
                )  # fmt: skip
                await asyncio.sleep(delay)
                delay = min(self._retry_max, delay * 2)
                for raw in msgs:  # still ours: no redelivery to another replica while we retry
                    await _quietly(raw.in_progress())
        self.batches += 1
        for raw in msgs:
            if await _quietly(raw.ack()):
                self.handled += 1


def _stored_at(raw: Msg) -> float | None:
    try:
        return raw.metadata.timestamp.timestamp()
    except Exception:  # not a JetStream message (tests), or no metadata
        return time.time()


async def _quietly(ack: Awaitable[None]) -> bool:
    """An ack lost with the connection is not an error: the server redelivers, the handler is idempotent."""
    try:
        await ack
        return True
    except nats.errors.Error as err:
        log.warning("ack not sent: %s", err)
        return False

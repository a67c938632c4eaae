"""The ACD's call events made durable on JetStream the moment the distributor records them (issue 15,
R-STAT1), without the distributor ever waiting on NATS or the database.

:meth:`EventOutbox.put` (synchronous, called from the routing path) appends the encoded event to an
in-memory queue; one task publishes the queue to the work-queue stream ``ACD_INTAKE`` (subject
``careline.intake.acd.<log id>``) with ``Nats-Msg-Id`` = the event's id, pipelining up to ``window``
publishes and retrying while NATS is away, in order. A republished event (a retry after a publish whose ack
was lost) is dropped by the server's dedupe window, and past it by the writer's insert (unique event id).

The queue is bounded (``max_queued``): should NATS stay away long enough to fill it, further events are
dropped, counted (``dropped``, a metric) and logged, never silently — memory does not grow without bound.

Read-your-writes: every accepted event gets an ordinal; :meth:`stored_through` waits until the first
``n`` are on JetStream and answers the highest stream sequence they (or their originals) have, which the
call log then waits for the writer to have acknowledged (committed).
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections import deque
from dataclasses import dataclass

from careline.acd.domain.call_events import CallEvent
from careline.core.ids import uuid7

log = logging.getLogger("careline.acd.call_log")

FIELDS = tuple(f for f in CallEvent.__dataclass_fields__ if f != "at")


def encode(event: CallEvent, event_id: str | None = None) -> tuple[str, bytes]:
    """The event's id (a new UUIDv7 unless given) and the JSON the writer reads (call_log_writer.decode)."""
    event_id = event_id or uuid7()
    body = {name: getattr(event, name) for name in FIELDS}
    body["id"], body["at"] = event_id, event.at.isoformat()
    return event_id, json.dumps(body, separators=(",", ":"), ensure_ascii=False).encode()


@dataclass(slots=True)
class _Item:
    ordinal: int
    event_id: str
    data: bytes
    queued_at: float  # time.monotonic(): how long it has waited for JetStream


class EventOutbox:
    """Encoded events waiting for JetStream, drained by one task (``start``/``stop``)."""

    def __init__(self, *, max_queued: int = 100_000, window: int = 128, retry_max: float = 5.0) -> None:
        self._queue: deque[_Item] = deque()
        self._inflight: list[_Item] = []
        self._max_queued, self._window, self._retry_max = max_queued, window, retry_max
        self._wake = asyncio.Event()
        self._progress = asyncio.Event()
        self._task: asyncio.Task | None = None
        self._bus = None
        self._subject = ""
        self.accepted = 0  # events queued since the start (the next ordinal)
        self.stored_seq = 0  # highest stream sequence of this process's events JetStream stored
        self.published = 0
        self.duplicates = 0  # the server already had this id (a retry whose first ack was lost)
        self.failures = 0  # publishes that failed and were retried
        self.dropped = 0  # events refused because the queue was full (NATS away too long)

    # --- the distributor's side (synchronous, never waits) ------------------------------------------
    def put(self, event_id: str, data: bytes) -> bool:
        if self.queued >= self._max_queued:
            self.dropped += 1
            if self.dropped == 1 or self.dropped % 1000 == 0:
                log.error(
                    "call event %s dropped: %d events wait for JetStream (the bound); %d dropped so far",
                    event_id, self.queued, self.dropped,
                )  # fmt: skip
            return False
        self._queue.append(_Item(self.accepted, event_id, data, time.monotonic()))
        self.accepted += 1
        self._wake.set()
        return True

    @property
    def queued(self) -> int:
        """Events recorded and not yet stored by JetStream."""
        return len(self._queue) + len(self._inflight)

    def oldest_age(self, now: float | None = None) -> float:
        """How long the oldest event not yet on JetStream has waited (0: none)."""
        oldest = self._oldest()
        return max(0.0, (now or time.monotonic()) - oldest.queued_at) if oldest else 0.0

    def _oldest(self) -> _Item | None:
        # In flight are the front of the queue (failed ones go back to the front): they are the oldest.
        if self._inflight:
            return self._inflight[0]
        return self._queue[0] if self._queue else None

    # --- read-your-writes ----------------------------------------------------------------------------
    def _floor(self) -> int:
        """The lowest ordinal not yet stored (``accepted`` when every event is)."""
        oldest = self._oldest()
        return oldest.ordinal if oldest else self.accepted

    async def stored_through(self, count: int) -> int:
        """Wait until the first ``count`` events are on JetStream; the highest stream sequence stored."""
        while self._floor() < count:
            self._progress.clear()
            await self._progress.wait()
        return self.stored_seq

    # --- the publishing task -------------------------------------------------------------------------
    def start(self, bus, subject: str) -> None:
        self._bus, self._subject = bus, subject
        self._task = asyncio.create_task(self._drain_forever(), name="acd-call-log-intake")

    async def stop(self, within: float = 5.0) -> int:
        """Publish what is queued (for up to ``within`` s), then stop; answers how many were left."""
        if self._task is None:
            return self.queued
        try:
            await asyncio.wait_for(self.stored_through(self.accepted), within)
        except TimeoutError:
            log.error("%d call events not on JetStream at shutdown: lost with this process", self.queued)
        self._task.cancel()
        await asyncio.gather(self._task, return_exceptions=True)
        self._task = None
        return self.queued

    async def _drain_forever(self) -> None:
        delay = 0.1
        while True:
            if not self._queue:
                self._wake.clear()
                await self._wake.wait()
            if await self._publish_some():
                delay = 0.1
            else:
                await asyncio.sleep(delay)
                delay = min(self._retry_max, delay * 2)

    async def _publish_some(self) -> bool:
        """Publish up to ``window`` events concurrently; failed ones go back to the front, in order."""
        chunk = self._inflight = [self._queue.popleft() for _ in range(min(self._window, len(self._queue)))]
        try:
            results = await asyncio.gather(
                *(self._bus.publish_raw(self._subject, i.data, msg_id=i.event_id) for i in chunk),
                return_exceptions=True,
            )
        except asyncio.CancelledError:
            self._queue.extendleft(reversed(chunk))  # stop() gave up waiting: counted as not published
            raise
        finally:
            self._inflight = []
        failed = []
        for item, result in zip(chunk, results, strict=True):
            if isinstance(result, BaseException):
                failed.append(item)
                continue
            self.stored_seq = max(self.stored_seq, result.seq)  # a duplicate's seq is its original's
            if result.duplicate:
                self.duplicates += 1
            else:
                self.published += 1
        if failed:
            self.failures += len(failed)
            log.warning(
                "%d call events not yet on JetStream (%s); retrying", len(failed), _first_error(results)
            )
            self._queue.extendleft(reversed(failed))
        self._progress.set()
        return not failed


def _first_error(results) -> str:
    for result in results:
        if isinstance(result, BaseException):
            return f"{type(result).__name__}: {result}"
    return ""

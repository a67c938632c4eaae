"""The ACD's call events made durable on JetStream the moment the distributor records them (issue 15,
R-STAT1), without the distributor ever waiting on NATS or the database.

:meth:`EventOutbox.put` (synchronous, called from the routing path) appends the encoded event to an
in-memory queue; one task publishes the queue to the work-queue stream ``ACD_INTAKE`` (subject
``careline.intake.acd.<log id>``), in order, retrying while NATS is away. Events that wait together go as
one message (a JSON array of up to ``batch_max`` events; a lone event is a JSON object): a JetStream
publish costs far more CPU than an event's encoding, and under load the events recorded while one message
is in flight make the next. A message's ``Nats-Msg-Id`` is its first event's id and its events are frozen
once taken, so a retry (a publish whose ack was lost) is the same message and the server's dedupe window
drops it; past the window the writer's insert does (every event keeps its own unique id).

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
    """The event's id (a new UUIDv7 unless given) and the JSON the writer reads (call_log.writer.decode)."""
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

    def __init__(
        self,
        *,
        max_queued: int = 100_000,
        batch_max: int = 256,
        linger: float = 0.0,
        retry_max: float = 5.0,
    ) -> None:
        self._queue: deque[_Item] = deque()
        self._inflight: list[_Item] = []  # the message being published (the oldest events)
        self._inflight_msg: tuple[str, bytes] | None = None
        self._max_queued, self._batch_max, self._retry_max = max_queued, batch_max, retry_max
        self._linger = linger
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
        # In flight is the front of the queue (taken from it, retried until stored): the oldest.
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
            if not self._queue and not self._inflight:
                self._wake.clear()
                await self._wake.wait()
                if self._linger:  # let the events of the same moment share one message
                    await asyncio.sleep(self._linger)
            if not self._inflight:
                self._take_batch()
            if await self._publish_batch():
                delay = 0.1
            else:
                await asyncio.sleep(delay)
                delay = min(self._retry_max, delay * 2)

    def _take_batch(self) -> None:
        """The next message: up to ``batch_max`` events from the front of the queue, frozen until stored
        (a retry sends the same events under the same Nats-Msg-Id, the first event's id)."""
        items = [self._queue.popleft() for _ in range(min(self._batch_max, len(self._queue)))]
        data = items[0].data if len(items) == 1 else b"[" + b",".join(i.data for i in items) + b"]"
        self._inflight, self._inflight_msg = items, (items[0].event_id, data)

    async def _publish_batch(self) -> bool:
        msg_id, data = self._inflight_msg
        try:
            ack = await self._bus.publish_raw(self._subject, data, msg_id=msg_id)
        except asyncio.CancelledError:
            raise  # stop() gave up waiting: what is in flight is counted as not published
        except Exception as err:
            self.failures += len(self._inflight)
            log.warning("%d call events not yet on JetStream (%s); retrying", len(self._inflight), err)
            return False
        self.stored_seq = max(self.stored_seq, ack.seq)  # a duplicate's seq is its original's
        if ack.duplicate:
            self.duplicates += len(self._inflight)
        else:
            self.published += len(self._inflight)
        self._inflight, self._inflight_msg = [], None
        self._progress.set()
        return True

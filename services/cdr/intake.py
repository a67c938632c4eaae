"""Taking CDRs from the switch and making them durable before anything can fail (issue 15, R-CDR1).

A CHANNEL_HANGUP_COMPLETE is reduced at once to the few headers :mod:`careline.cdr.mapping` reads (about 35
of ~200: looked up one by one in the raw event text, the block is never split or decoded as a whole) and
published to the JetStream work-queue stream ``CDR_INTAKE`` with ``Nats-Msg-Id`` = the leg uuid. From there
:mod:`careline.cdr.writer` stores them in batches. The database is not touched on this path, so a full pool,
a locked or restarting database cannot lose a leg; a repeat of the same leg (a second link, a second
replica, mod_json_cdr's copy — see docs/adr/0002) is dropped by the server's dedupe window, and past it by
the writer's upsert.

Publishing is pipelined by one task per service (not one per event) and retried while NATS is away; what is
still queued when the service stops is published before the bus closes (the ESL link is closed first, so
nothing new arrives meanwhile).
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections import deque
from collections.abc import Mapping

from careline import subjects
from careline.cdr.mapping import READS
from careline.core.bus import Bus

log = logging.getLogger("careline.cdr.intake")

INTAKE_STREAM = subjects.CDR_INTAKE
INTAKE_STREAMS = tuple(spec for spec in subjects.STREAMS if spec.name == INTAKE_STREAM)

# Every header cdr_from_headers reads (mapping.READS, kept by the mapping's owner;
# tests/unit/cdr/test_intake.py fails when mapping.py reads a header that is not in it).
CDR_HEADERS: tuple[str, ...] = READS


def pick_headers(event) -> dict[str, str]:
    """The CDR's headers of an ESL event (EslEvent.get looks each up without splitting the block)."""
    get = event.get
    picked = {}
    for key in CDR_HEADERS:
        value = get(key)
        if value:
            picked[key] = value
    return picked


def pick_from_mapping(headers: Mapping[str, str]) -> dict[str, str]:
    return {key: headers[key] for key in CDR_HEADERS if headers.get(key)}


def encode(headers: Mapping[str, str]) -> bytes:
    return json.dumps(headers, separators=(",", ":"), ensure_ascii=False).encode()


def decode(data: bytes) -> dict[str, str]:
    headers = json.loads(data)
    if not isinstance(headers, dict):
        raise ValueError("intake record is not a JSON object")
    return headers


class Intake:
    """Queue of legs to publish, drained by one pipelining task (``start``/``stop``)."""

    def __init__(
        self,
        bus: Bus,
        subject: str = subjects.cdr_intake_leg("main"),
        *,
        window: int = 128,
        retry_max: float = 5.0,
    ) -> None:
        self._bus = bus
        self.subject = subject  # subjects.cdr_intake_leg(<the CDR database's site>)
        self._queue: deque[tuple[str, bytes]] = deque()
        self._wake = asyncio.Event()
        self._window = window
        self._retry_max = retry_max
        self._task: asyncio.Task | None = None
        self._inflight = 0
        self.published = 0
        self.duplicates = 0  # the server already had this leg (Nats-Msg-Id)
        self.ignored = 0  # an event with no leg uuid
        self.failures = 0

    @property
    def queued(self) -> int:
        """Legs taken from the switch and not yet stored by JetStream."""
        return len(self._queue) + self._inflight

    def take_event(self, event) -> None:
        """ESL handler (synchronous, no task per event): queue the leg's CDR headers."""
        self.take(pick_headers(event))

    def take(self, headers: Mapping[str, str]) -> None:
        uuid = headers.get("Unique-ID")
        if not uuid:
            self.ignored += 1
            log.warning("hangup event without Unique-ID ignored")
            return
        self._queue.append((uuid, encode(headers)))
        self._wake.set()

    async def put(self, headers: Mapping[str, str]) -> bool:
        """Publish one leg now and wait for the server to store it (the HTTP intake answers only then).
        Returns False when the server already had it."""
        uuid = headers.get("Unique-ID")
        if not uuid:
            raise ValueError("no Unique-ID")
        ack = await self._bus.publish_raw(self.subject, encode(headers), msg_id=uuid)
        return not ack.duplicate

    def start(self) -> None:
        self._task = asyncio.create_task(self._drain_forever(), name="cdr-intake")

    async def stop(self, within: float = 10.0) -> None:
        """Publish what is queued (for up to ``within`` s), then stop."""
        if self._task is None:
            return
        try:
            await asyncio.wait_for(self._until_empty(), within)
        except TimeoutError:
            log.error("%d legs not published at shutdown (mod_json_cdr's copy is the backstop)", self.queued)
        self._task.cancel()
        await asyncio.gather(self._task, return_exceptions=True)
        self._task = None

    async def _until_empty(self) -> None:
        while self.queued:  # noqa: ASYNC110 - the drain task empties it; polling is enough at shutdown
            await asyncio.sleep(0.02)

    async def _drain_forever(self) -> None:
        delay = 0.1
        while True:
            if not self._queue:
                self._wake.clear()
                await self._wake.wait()
            ok = await self._publish_some()
            if ok:
                delay = 0.1
            else:
                await asyncio.sleep(delay)
                delay = min(self._retry_max, delay * 2)

    async def _publish_some(self) -> bool:
        """Publish up to ``window`` legs concurrently; failed ones go back to the front of the queue."""
        chunk = [self._queue.popleft() for _ in range(min(self._window, len(self._queue)))]
        self._inflight = len(chunk)
        try:
            results = await asyncio.gather(
                *(self._bus.publish_raw(self.subject, data, msg_id=uuid) for uuid, data in chunk),
                return_exceptions=True,
            )
        except asyncio.CancelledError:
            self._queue.extendleft(reversed(chunk))  # stop() gave up waiting: counted as not published
            raise
        finally:
            self._inflight = 0
        failed = []
        for item, result in zip(chunk, results, strict=True):
            if isinstance(result, BaseException):
                failed.append(item)
            elif result.duplicate:
                self.duplicates += 1
            else:
                self.published += 1
        if failed:
            self.failures += len(failed)
            log.warning("%d legs not yet on JetStream (%s); retrying", len(failed), _first_error(results))
            self._queue.extendleft(reversed(failed))
        return not failed


def _first_error(results) -> str:
    for result in results:
        if isinstance(result, BaseException):
            return f"{type(result).__name__}: {result}"
    return ""

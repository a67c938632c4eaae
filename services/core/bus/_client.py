"""`Bus`: careline's one NATS client per process (design §4).

- facts: `publish` to JetStream with Nats-Msg-Id = event id (the server drops repeats in its window);
  `consume` runs a durable consumer that acks after the handler commits;
- questions/commands: `request` / `serve` on core NATS, protobuf in and out;
- live pushes: `notify` / `subscribe` on core NATS (lost when nobody listens; use facts otherwise);
- shared live state: `kv(bucket)` with compare-and-set.
Reconnection never gives up (nats-py gives up after 60 attempts by default); `connected` feeds /readyz.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Iterable
from typing import Any, TypeVar

import nats
import nats.errors
from google.protobuf.message import Message
from nats.aio.client import Client
from nats.aio.msg import Msg
from nats.aio.subscription import Subscription
from nats.js.api import PubAck

from careline.core.bus._batch import BatchConsumer, BatchHandler, raw_bytes
from careline.core.bus._consume import Consumer, Handler
from careline.core.bus._envelope import HEADER_ERROR, HEADER_MSG_ID, event_id_of
from careline.core.bus._errors import NoResponders, RemoteError
from careline.core.bus._kv import BucketSpec, Kv, open_bucket
from careline.core.bus._streams import StreamSpec, ensure_stream

log = logging.getLogger(__name__)

Req = TypeVar("Req", bound=Message)
Rep = TypeVar("Rep", bound=Message)
M = TypeVar("M", bound=Message)


class Bus:
    """Create with `await Bus.connect(url, name=...)`; close with `await bus.close()`."""

    def __init__(self, nc: Client, name: str):
        self.name = name
        self._nc = nc
        self._js = nc.jetstream()
        self._buckets: dict[str, Kv] = {}
        self._consumers: list[Consumer[Any] | BatchConsumer[Any]] = []
        self._subs: list[Subscription] = []
        self._tasks: set[asyncio.Task[None]] = set()

    # --- connection ---------------------------------------------------------------------------------
    @classmethod
    async def connect(
        cls,
        url: str | list[str],
        *,
        name: str,
        first_connect_timeout: float = 0.0,
        reconnect_time_wait: float = 0.5,
    ) -> Bus:
        """Connect; keep retrying the first connection for `first_connect_timeout` seconds (0: fail fast).

        After the first connection the client reconnects forever (max_reconnect_attempts=-1).
        """
        deadline = time.monotonic() + first_connect_timeout
        while True:
            try:
                nc = await nats.connect(
                    url,
                    name=name,
                    max_reconnect_attempts=-1,
                    reconnect_time_wait=reconnect_time_wait,
                    connect_timeout=2,
                    error_cb=_log_error,
                    disconnected_cb=_log_event(f"{name}: NATS disconnected"),
                    reconnected_cb=_log_event(f"{name}: NATS reconnected"),
                )
                return cls(nc, name)
            except (TimeoutError, OSError, nats.errors.NoServersError):
                if time.monotonic() >= deadline:
                    raise
                await asyncio.sleep(reconnect_time_wait)

    @property
    def connected(self) -> bool:
        """True while the client has a live connection (readiness, design §6)."""
        return self._nc.is_connected

    @property
    def nc(self) -> Client:
        """The underlying nats-py client, for what this class does not cover."""
        return self._nc

    async def close(self) -> None:
        """Stop consumers and responders, flush, close. Safe to call twice."""
        for consumer in self._consumers:
            await consumer.stop()
        self._consumers.clear()
        for task in list(self._tasks):
            task.cancel()
        if not self._nc.is_closed:
            try:
                await asyncio.wait_for(self._nc.flush(), 2)
            except Exception:  # closing anyway; a lost flush is what close() means while disconnected
                pass
            await self._nc.close()

    # --- JetStream facts ----------------------------------------------------------------------------
    async def ensure_streams(self, specs: Iterable[StreamSpec]) -> None:
        """Create missing streams and update changed ones; safe from every replica at start."""
        for spec in specs:
            await ensure_stream(self._js, spec)

    async def publish(self, subject: str, msg: Message, *, msg_id: str = "", timeout: float = 5.0) -> PubAck:  # noqa: ASYNC109
        """Store a fact. Nats-Msg-Id is `msg_id`, by default `msg.meta.event_id` (required: dedupe).

        The returned PubAck has `.seq` and `.duplicate` (True when the server already had this id).
        """
        msg_id = msg_id or event_id_of(msg)
        if not msg_id:
            raise ValueError(f"publish to {subject}: no msg_id and no meta.event_id")
        headers = {HEADER_MSG_ID: msg_id}
        return await self._js.publish(subject, msg.SerializeToString(), timeout=timeout, headers=headers)

    async def publish_raw(
        self,
        subject: str,
        data: bytes,
        *,
        msg_id: str,
        timeout: float = 5.0,  # noqa: ASYNC109
    ) -> PubAck:
        """Store bytes that are not a careline.v1 message (e.g. the switch's own headers, issue 15).

        ``msg_id`` is required: it is the Nats-Msg-Id the server deduplicates on."""
        if not msg_id:
            raise ValueError(f"publish_raw to {subject}: msg_id is required")
        return await self._js.publish(subject, data, timeout=timeout, headers={HEADER_MSG_ID: msg_id})

    async def consume(
        self,
        stream: str,
        durable: str,
        subject: str,
        handler: Handler[M],
        *,
        msg_type: type[M],
        nak_delay: float = 1.0,
        ack_wait: float = 30.0,
        batch: int = 16,
    ) -> Consumer[M]:
        """Start a durable pull consumer on `stream` filtered by `subject`; see _consume for outcomes."""
        consumer = Consumer(
            self._js,
            stream=stream,
            durable=durable,
            subject=subject,
            handler=handler,
            msg_type=msg_type,
            nak_delay=nak_delay,
            ack_wait=ack_wait,
            batch=batch,
        )
        await consumer.start()
        self._consumers.append(consumer)
        return consumer

    async def consume_batch(
        self,
        stream: str,
        durable: str,
        subject: str,
        handler: BatchHandler[Any],
        *,
        decode: Callable[[Msg], Any] = raw_bytes,
        batch: int = 256,
        ack_wait: float = 60.0,
        retry_first: float = 0.2,
        retry_max: float = 10.0,
        linger: float = 0.0,
    ) -> BatchConsumer[Any]:
        """Start a durable pull consumer that hands batches to `handler` and acks a batch only after the
        handler returned (its work committed); a failed batch is retried, never dropped. See _batch."""
        consumer: BatchConsumer[Any] = BatchConsumer(
            self._js,
            stream=stream,
            durable=durable,
            subject=subject,
            handler=handler,
            decode=decode,
            batch=batch,
            ack_wait=ack_wait,
            retry_first=retry_first,
            retry_max=retry_max,
            linger=linger,
        )
        await consumer.start()
        self._consumers.append(consumer)
        return consumer

    # --- core request/reply -------------------------------------------------------------------------
    async def request(
        self,
        subject: str,
        msg: Message,
        *,
        reply_type: type[Rep],
        timeout: float = 2.0,  # noqa: ASYNC109
    ) -> Rep:
        """Ask and wait. Raises NoResponders, TimeoutError, or RemoteError when the responder failed."""
        try:
            reply = await self._nc.request(subject, msg.SerializeToString(), timeout=timeout)
        except nats.errors.NoRespondersError as err:
            raise NoResponders(subject) from err
        error = (reply.headers or {}).get(HEADER_ERROR)
        if error is not None:
            raise RemoteError(subject, error)
        return reply_type.FromString(reply.data)

    async def serve(
        self,
        subject: str,
        handler: Callable[[Req], Awaitable[Message]],
        *,
        request_type: type[Req],
        queue: str | None = None,
        max_concurrency: int = 64,
    ) -> Subscription:
        """Answer requests on `subject`. Replicas share the load through queue group `queue` (default:
        the subject). Requests run concurrently (up to max_concurrency); a handler exception becomes a
        Careline-Error reply, so the caller gets RemoteError at once instead of a timeout."""
        limit = asyncio.Semaphore(max_concurrency)

        async def answer(raw: Msg) -> None:
            async with limit:
                try:
                    reply = await handler(request_type.FromString(raw.data))
                    await raw.respond(reply.SerializeToString())
                except asyncio.CancelledError:
                    raise
                except Exception as err:
                    log.exception("%s: handler failed", subject)
                    await self._nc.publish(raw.reply, b"", headers={HEADER_ERROR: _one_line(err)})

        return await self._subscribe(subject, answer, queue=queue or subject)

    # --- core push ----------------------------------------------------------------------------------
    async def notify(self, subject: str, msg: Message, *, flush: bool = False) -> None:
        """Fire-and-forget on core NATS (e.g. a screen pop); nobody listening means nobody gets it.

        ``flush=True`` returns only once the server has the message (a PING/PONG round trip), for a
        push that must reach its listeners before the sender's next step (the screen pop before the
        agent's phone rings, R-ACD2)."""
        await self._nc.publish(subject, msg.SerializeToString())
        if flush:
            await self._nc.flush(timeout=1)

    async def subscribe(
        self,
        subject: str,
        handler: Callable[[M], Awaitable[None]],
        *,
        msg_type: type[M],
        queue: str | None = None,
    ) -> Subscription:
        """Receive core pushes (no queue group: every subscriber gets each one)."""

        async def deliver(raw: Msg) -> None:
            try:
                await handler(msg_type.FromString(raw.data))
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("%s: push handler failed", subject)

        return await self._subscribe(subject, deliver, queue=queue)

    async def _subscribe(self, subject: str, work: Callable[[Msg], Awaitable[None]], *, queue: str | None):
        async def dispatch(raw: Msg) -> None:
            # Run each message in its own task so one slow handler does not hold up the subscription.
            task = asyncio.create_task(work(raw))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

        sub = await self._nc.subscribe(subject, queue=queue or "", cb=dispatch)
        self._subs.append(sub)
        return sub

    # --- KV -----------------------------------------------------------------------------------------
    async def kv(self, bucket: str | BucketSpec) -> Kv:
        """The bucket, created with `bucket`'s spec (or defaults) when it does not exist yet."""
        spec = bucket if isinstance(bucket, BucketSpec) else BucketSpec(bucket)
        if spec.name not in self._buckets:
            self._buckets[spec.name] = await open_bucket(self._js, spec)
        return self._buckets[spec.name]

    async def ensure_buckets(self, specs: Iterable[BucketSpec]) -> None:
        for spec in specs:
            await self.kv(spec)


def _one_line(err: BaseException) -> str:
    text = f"{type(err).__name__}: {err}"
    return " ".join(text.split())[:500]


async def _log_error(err: Exception) -> None:
    log.warning("NATS: %s", err)


def _log_event(text: str) -> Callable[[], Awaitable[None]]:
    async def callback() -> None:
        log.info(text)

    return callback

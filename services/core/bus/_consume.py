"""Durable JetStream consumers that ack only after the handler's work is committed (design §4).

The handler receives the decoded protobuf message and must commit its own database work before it
returns. Outcomes:
- returns                      -> ack (the fact is done);
- raises AlreadyProcessed      -> ack (a duplicate is success);
- raises anything else         -> nak with a delay (redelivered later; never given up on);
- payload does not decode      -> term (a poison message would loop forever) and logged.
Before calling the handler the helper also checks its own memory of recently handled Nats-Msg-Ids, so a
redelivery after a lost ack is acked without running the handler again. That memory is per process;
the durable guard across restarts is the handler's own idempotency (e.g. careline.core.db.inbox).
"""

from __future__ import annotations

import asyncio
import logging
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from typing import Generic, TypeVar

import nats.errors
from google.protobuf.message import DecodeError, Message
from nats.aio.msg import Msg
from nats.js import JetStreamContext
from nats.js.api import AckPolicy, ConsumerConfig, DeliverPolicy

from careline.core.bus._envelope import HEADER_MSG_ID
from careline.core.bus._errors import AlreadyProcessed
from careline.core.bus._pull import fetch_some, stop_loop

log = logging.getLogger(__name__)

M = TypeVar("M", bound=Message)
Handler = Callable[[M], Awaitable[None]]


class RecentIds:
    """A bounded set of recently handled message ids (oldest forgotten first)."""

    def __init__(self, capacity: int = 10_000):
        self._ids: OrderedDict[str, None] = OrderedDict()
        self._capacity = capacity

    def __contains__(self, msg_id: str) -> bool:
        return msg_id in self._ids

    def add(self, msg_id: str) -> None:
        self._ids[msg_id] = None
        self._ids.move_to_end(msg_id)
        while len(self._ids) > self._capacity:
            self._ids.popitem(last=False)


class Consumer(Generic[M]):
    """A running durable pull consumer. Create with `await bus.consume(...)`; stop with `await c.stop()`."""

    def __init__(
        self,
        js: JetStreamContext,
        *,
        stream: str,
        durable: str,
        subject: str,
        handler: Handler[M],
        msg_type: type[M],
        nak_delay: float = 1.0,
        ack_wait: float = 30.0,
        batch: int = 16,
    ):
        self.stream, self.durable, self.subject = stream, durable, subject
        self._js, self._handler, self._msg_type = js, handler, msg_type
        self._nak_delay, self._ack_wait, self._batch = nak_delay, ack_wait, batch
        self._recent = RecentIds()
        self._task: asyncio.Task[None] | None = None
        self.handled = 0  # messages acked (handled, duplicate or remembered)

    async def start(self) -> Consumer[M]:
        config = ConsumerConfig(
            durable_name=self.durable,
            ack_policy=AckPolicy.EXPLICIT,
            ack_wait=self._ack_wait,
            deliver_policy=DeliverPolicy.ALL,
            max_deliver=-1,
            filter_subject=self.subject,
        )
        sub = await self._js.pull_subscribe(
            self.subject, durable=self.durable, stream=self.stream, config=config
        )
        self._task = asyncio.create_task(self._run(sub), name=f"consume:{self.stream}:{self.durable}")
        return self

    async def stop(self) -> None:
        """Stop fetching (cleanly, whatever the cancelled fetch raises: _pull.stop_loop)."""
        task, self._task = self._task, None
        await stop_loop(task, f"{self.stream}/{self.durable}")

    async def _run(self, sub: JetStreamContext.PullSubscription) -> None:
        try:
            while True:
                msgs = await fetch_some(sub, self._batch, f"{self.stream}/{self.durable}")
                for raw in msgs:
                    try:
                        await self._handle(raw)
                    except nats.errors.Error:  # the ack was lost: the server redelivers after ack_wait
                        log.warning("%s/%s: ack failed on %s", self.stream, self.durable, raw.subject)
        finally:
            try:
                await sub.unsubscribe()
            except Exception:  # closing connection: nothing to unsubscribe from
                pass

    async def _handle(self, raw: Msg) -> None:
        msg_id = (raw.headers or {}).get(HEADER_MSG_ID, "")
        if msg_id and msg_id in self._recent:
            await self._ack(raw)
            return
        try:
            message = self._msg_type.FromString(raw.data)
        except DecodeError:
            log.error(
                "%s/%s: undecodable %s on %s; terminated",
                self.stream,
                self.durable,
                self._msg_type.__name__,
                raw.subject,
            )
            await raw.term()
            return
        try:
            await self._handler(message)
        except AlreadyProcessed:
            pass
        except Exception:
            log.exception(
                "%s/%s: handler failed on %s; retry in %.1fs",
                self.stream,
                self.durable,
                raw.subject,
                self._nak_delay,
            )
            await raw.nak(delay=self._nak_delay)
            return
        if msg_id:
            self._recent.add(msg_id)
        await self._ack(raw)

    async def _ack(self, raw: Msg) -> None:
        await raw.ack()
        self.handled += 1

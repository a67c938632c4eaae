"""The durable consumer's fetch loop (design §4) against a scripted pull subscription: no network.

nats-py 2.16's fetch() raises a bare asyncio.TimeoutError (not nats.errors.TimeoutError) when its
deadline runs out between its two pull requests; the loop caught only the latter and died, so a durable
consumer silently stopped receiving (billing never settled consultations from CDRs) and stop() then
re-raised the TimeoutError."""

from __future__ import annotations

import asyncio

import nats.errors

from careline.core.bus._consume import Consumer
from careline.v1 import call_pb2


class FakeMsg:
    def __init__(self, data: bytes, msg_id: str) -> None:
        self.data, self.subject, self.headers = data, "t.answered", {"Nats-Msg-Id": msg_id}
        self.acked = False

    async def ack(self) -> None:
        self.acked = True


class ScriptedSub:
    """fetch() answers from a script: an exception to raise or a list of messages; then blocks."""

    def __init__(self, script) -> None:
        self.script = list(script)
        self.unsubscribed = False

    async def fetch(self, batch: int, timeout: float):  # noqa: ASYNC109
        if not self.script:
            await asyncio.sleep(3600)
        step = self.script.pop(0)
        if isinstance(step, BaseException):
            raise step
        return step

    async def unsubscribe(self) -> None:
        self.unsubscribed = True


def _consumer(handled: list[str]) -> Consumer:
    async def handler(msg: call_pb2.CallAnswered) -> None:
        handled.append(msg.leg_uuid)

    return Consumer(
        None, stream="S", durable="d", subject="t.>", handler=handler, msg_type=call_pb2.CallAnswered
    )


def _msg(call: str) -> FakeMsg:
    return FakeMsg(call_pb2.CallAnswered(leg_uuid=call).SerializeToString(), f"id-{call}")


async def test_a_bare_timeout_or_a_nats_error_from_fetch_does_not_end_the_loop() -> None:
    handled: list[str] = []
    consumer = _consumer(handled)
    first, second = _msg("a"), _msg("b")
    script = [TimeoutError(), [first], nats.errors.TimeoutError(), nats.errors.Error("x"), [second]]
    sub = ScriptedSub(script)
    consumer._task = asyncio.create_task(consumer._run(sub))
    for _ in range(200):
        if len(handled) == 2:
            break
        await asyncio.sleep(0.01)
    assert handled == ["a", "b"] and first.acked and second.acked and consumer.handled == 2
    await consumer.stop()
    assert sub.unsubscribed


async def test_stop_is_clean_when_the_cancelled_fetch_raises_timeout() -> None:
    class CancelBecomesTimeout(ScriptedSub):
        async def fetch(self, batch: int, timeout: float):  # noqa: ASYNC109
            try:
                await asyncio.sleep(3600)
            except asyncio.CancelledError:
                raise TimeoutError() from None  # what nats-py does with a cancelled fetch
            return []

    consumer = _consumer([])
    sub = CancelBecomesTimeout([])
    consumer._task = asyncio.create_task(consumer._run(sub))
    await asyncio.sleep(0.01)
    await consumer.stop()  # no TimeoutError escapes
    assert sub.unsubscribed and consumer._task is None

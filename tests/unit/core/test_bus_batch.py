"""The batch consumer (issue 15, design §4) against a scripted pull subscription: no network.

A batch is acked only after the handler returned; a failing handler gets the SAME batch again (with the
messages marked in progress meanwhile) until it succeeds, never dropped; an undecodable message is
terminated without holding up the rest; while a batch waits, the consumer reports its lag."""

from __future__ import annotations

import asyncio
import json

import nats.errors

from careline.core.bus._batch import BatchConsumer


class FakeMsg:
    def __init__(self, data: bytes) -> None:
        self.data, self.subject, self.headers = data, "careline.intake.cdr", {}
        self.acks = self.terms = self.progress = 0

    @property
    def metadata(self):
        raise nats.errors.NotJSMessageError

    async def ack(self) -> None:
        self.acks += 1

    async def term(self) -> None:
        self.terms += 1

    async def in_progress(self) -> None:
        self.progress += 1


class ScriptedSub:
    def __init__(self, script) -> None:
        self.script = list(script)

    async def fetch(self, batch: int, timeout: float):  # noqa: ASYNC109
        if not self.script:
            await asyncio.sleep(3600)
        step = self.script.pop(0)
        if isinstance(step, BaseException):
            raise step
        return step

    async def unsubscribe(self) -> None:
        pass


def consumer(handler, **kw) -> BatchConsumer:
    return BatchConsumer(
        None,  # type: ignore[arg-type] - start() is not called: _run gets the scripted subscription
        stream="S",
        durable="d",
        subject="careline.intake.cdr",
        handler=handler,
        decode=lambda raw: json.loads(raw.data),
        retry_first=0.01,
        retry_max=0.02,
        **kw,
    )


async def run_until(c: BatchConsumer, sub: ScriptedSub, done) -> None:
    task = asyncio.create_task(c._run(sub))
    for _ in range(500):
        if done():
            break
        await asyncio.sleep(0.01)
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)


async def test_a_batch_is_acked_once_after_the_handler_returns():
    seen = []

    async def handler(items):
        seen.append(list(items))

    msgs = [FakeMsg(json.dumps({"n": n}).encode()) for n in range(3)]
    c = consumer(handler)
    await run_until(c, ScriptedSub([TimeoutError(), msgs]), lambda: c.handled == 3)
    assert seen == [[{"n": 0}, {"n": 1}, {"n": 2}]]  # one call for the whole batch
    assert [m.acks for m in msgs] == [1, 1, 1]
    assert (c.batches, c.failures, c.oldest_unwritten_at) == (1, 0, None)


async def test_a_failed_write_is_retried_with_the_same_batch_never_acked_before_it_succeeds():
    calls, lags = [], []
    msgs = [FakeMsg(b'{"leg": "a"}'), FakeMsg(b'{"leg": "b"}')]

    async def handler(items):
        calls.append(list(items))
        lags.append(c.lag_seconds())
        assert all(m.acks == 0 for m in msgs), "acked before the write committed"
        if len(calls) < 3:
            raise OSError("database is locked")  # a full pool, a restarting database ...

    c = consumer(handler)
    await run_until(c, ScriptedSub([msgs]), lambda: c.handled == 2)
    assert calls == [[{"leg": "a"}, {"leg": "b"}]] * 3
    assert c.failures == 2 and c.batches == 1
    assert [m.acks for m in msgs] == [1, 1] and [m.progress for m in msgs] == [2, 2]
    assert lags[-1] >= lags[0] >= 0.0 and c.lag_seconds() == 0.0


async def test_an_undecodable_message_is_terminated_and_the_rest_written():
    seen = []

    async def handler(items):
        seen.extend(items)

    good, bad = FakeMsg(b'{"leg": "a"}'), FakeMsg(b"not json")
    c = consumer(handler)
    await run_until(c, ScriptedSub([[bad, good]]), lambda: c.handled == 1)
    assert seen == [{"leg": "a"}]
    assert (bad.terms, bad.acks, good.acks) == (1, 0, 1) and c.terminated == 1


async def test_a_short_batch_lingers_before_the_next_fetch():
    fetched = []

    async def handler(items):
        fetched.append(asyncio.get_running_loop().time())

    c = consumer(handler, batch=10, linger=0.2)
    sub = ScriptedSub([[FakeMsg(b"{}")], [FakeMsg(b"{}")]])
    await run_until(c, sub, lambda: c.handled == 2)
    assert len(fetched) == 2 and fetched[1] - fetched[0] >= 0.2  # waited, at least (never at most)

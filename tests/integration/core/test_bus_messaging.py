"""Facts, request/reply and pushes over a real nats-server (design §4)."""

from __future__ import annotations

import asyncio

import pytest

from careline import subjects
from careline.core.bus import AlreadyProcessed, Bus, NoResponders, RemoteError, StreamSpec, new_meta
from careline.core.ids import uuid7
from careline.v1 import acd_pb2, call_pb2, crm_pb2


def _stream() -> tuple[StreamSpec, str]:
    """A stream of this test's own: name and subject prefix are unique."""
    tag = uuid7().replace("-", "")[-12:]
    return StreamSpec(f"T{tag}", (f"t{tag}.>",)), f"t{tag}"


async def _eventually(predicate, within: float = 5.0) -> None:
    deadline = asyncio.get_running_loop().time() + within
    while not predicate():
        assert asyncio.get_running_loop().time() < deadline, "condition not met in time"
        await asyncio.sleep(0.02)


async def test_ensure_streams_is_idempotent_and_applies_changes(bus: Bus) -> None:
    spec, prefix = _stream()
    await bus.ensure_streams([spec])
    await bus.ensure_streams([spec])  # again: no error
    wider = StreamSpec(spec.name, (f"{prefix}.>", f"{prefix}x.>"), max_age=3600)
    await bus.ensure_streams([wider])
    info = await bus.nc.jetstream().stream_info(spec.name)
    assert sorted(info.config.subjects) == sorted(wider.subjects)
    assert info.config.max_age == 3600


async def test_careline_streams_can_be_ensured(bus: Bus) -> None:
    await bus.ensure_streams(subjects.STREAMS)
    await bus.ensure_buckets(subjects.BUCKETS)
    ack = await bus.publish(subjects.call_event("abc", "started"), call_pb2.CallStarted(meta=new_meta("abc")))
    assert ack.stream == subjects.CALLS


async def test_publish_dedupes_on_event_id(bus: Bus) -> None:
    spec, prefix = _stream()
    await bus.ensure_streams([spec])
    msg = call_pb2.CallHungUp(meta=new_meta("call-1"), hangup_cause="NORMAL_CLEARING")
    first = await bus.publish(f"{prefix}.call-1.hungup", msg)
    again = await bus.publish(f"{prefix}.call-1.hungup", msg)
    assert not first.duplicate and again.duplicate and again.seq == first.seq
    with pytest.raises(ValueError):
        await bus.publish(f"{prefix}.x", call_pb2.CallHungUp())  # no event id: refused


async def test_consume_acks_after_handler_retries_failures_and_treats_duplicates_as_success(bus: Bus) -> None:
    spec, prefix = _stream()
    await bus.ensure_streams([spec])
    attempts: dict[str, int] = {}
    done: list[str] = []

    async def handler(msg: call_pb2.CallAnswered) -> None:
        attempts[msg.leg_uuid] = attempts.get(msg.leg_uuid, 0) + 1
        if msg.leg_uuid == "flaky" and attempts["flaky"] < 3:
            raise RuntimeError("database away")
        if msg.leg_uuid in done:
            raise AlreadyProcessed
        done.append(msg.leg_uuid)

    consumer = await bus.consume(
        spec.name, "t-durable", f"{prefix}.>", handler, msg_type=call_pb2.CallAnswered, nak_delay=0.05
    )
    for leg in ("ok", "flaky"):
        await bus.publish(f"{prefix}.{leg}", call_pb2.CallAnswered(meta=new_meta(leg), leg_uuid=leg))
    # The same fact again after the dedupe window would be a new stream message: simulate with a new id.
    await bus.publish(f"{prefix}.ok", call_pb2.CallAnswered(meta=new_meta("ok"), leg_uuid="ok"))
    await _eventually(lambda: consumer.handled == 3)
    assert sorted(done) == ["flaky", "ok"]
    assert attempts == {"ok": 2, "flaky": 3}
    info = await bus.nc.jetstream().consumer_info(spec.name, "t-durable")
    assert info.num_ack_pending == 0 and info.num_pending == 0


async def test_consumer_is_durable_across_restarts(bus: Bus) -> None:
    spec, prefix = _stream()
    await bus.ensure_streams([spec])
    got: list[str] = []

    async def handler(msg: call_pb2.CallAnswered) -> None:
        got.append(msg.leg_uuid)

    first = await bus.consume(spec.name, "d", f"{prefix}.>", handler, msg_type=call_pb2.CallAnswered)
    await bus.publish(f"{prefix}.a", call_pb2.CallAnswered(meta=new_meta(), leg_uuid="a"))
    await _eventually(lambda: got == ["a"])
    await first.stop()
    await bus.publish(f"{prefix}.b", call_pb2.CallAnswered(meta=new_meta(), leg_uuid="b"))
    second = await bus.consume(spec.name, "d", f"{prefix}.>", handler, msg_type=call_pb2.CallAnswered)
    await _eventually(lambda: second.handled == 1)
    assert got == ["a", "b"]


async def test_request_reply_with_protobuf(bus: Bus) -> None:
    subject = f"t.{uuid7()}.enqueue"

    async def enqueue(req: acd_pb2.EnqueueRequest) -> acd_pb2.EnqueueReply:
        if req.queue == "boom":
            raise RuntimeError("queue table\nlocked")
        return acd_pb2.EnqueueReply(accepted=req.vip, reason="" if req.vip else "not_vip", position=1)

    await bus.serve(subject, enqueue, request_type=acd_pb2.EnqueueRequest)
    reply = await bus.request(
        subject, acd_pb2.EnqueueRequest(call_uuid="c1", vip=True), reply_type=acd_pb2.EnqueueReply
    )
    assert reply.accepted and reply.position == 1
    with pytest.raises(RemoteError, match="RuntimeError: queue table locked"):
        await bus.request(subject, acd_pb2.EnqueueRequest(queue="boom"), reply_type=acd_pb2.EnqueueReply)
    with pytest.raises(NoResponders):
        await bus.request(
            f"{subject}.nobody", crm_pb2.CallerLookupRequest(), reply_type=crm_pb2.CallerLookupReply
        )


async def test_slow_responder_does_not_block_others(bus: Bus) -> None:
    subject = f"t.{uuid7()}.lookup"
    release = asyncio.Event()

    async def lookup(req: crm_pb2.CallerLookupRequest) -> crm_pb2.CallerLookupReply:
        if req.number == "slow":
            await release.wait()
        return crm_pb2.CallerLookupReply(found=True, full_name=req.number)

    await bus.serve(subject, lookup, request_type=crm_pb2.CallerLookupRequest)
    slow = asyncio.create_task(
        bus.request(subject, crm_pb2.CallerLookupRequest(number="slow"), reply_type=crm_pb2.CallerLookupReply)
    )
    fast = await bus.request(
        subject, crm_pb2.CallerLookupRequest(number="fast"), reply_type=crm_pb2.CallerLookupReply
    )
    assert fast.full_name == "fast" and not slow.done()
    release.set()
    assert (await slow).full_name == "slow"


async def test_notify_reaches_subscribers(bus: Bus) -> None:
    got: list[acd_pb2.AgentOffered] = []

    async def on_offer(msg: acd_pb2.AgentOffered) -> None:
        got.append(msg)

    subject = subjects.agent_screenpop(f"a{uuid7()[-8:]}")
    await bus.subscribe(subject, on_offer, msg_type=acd_pb2.AgentOffered)
    await bus.nc.flush()
    await bus.notify(
        subject, acd_pb2.AgentOffered(meta=new_meta("c9"), call_uuid="c9", screen_pop={"name": "Li"})
    )
    await _eventually(lambda: len(got) == 1)
    assert got[0].screen_pop["name"] == "Li"

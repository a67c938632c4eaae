"""Queues on the FreeSWITCH simulator as a user sees them (R-ACD1, R-ACD6, R-IVR5): ring-all with the
first phone to answer winning, wrap-up extended over HTTP, overflow to a goodbye prompt, announcements.

Callers are parked channels (dialplan 9190) the IVR would own; the test hands them over exactly as the
IVR does: ownership ``ivr`` in the KV bucket, then ``careline.acd.enqueue`` over NATS.
"""

from __future__ import annotations

import asyncio
import secrets

import httpx
import pytest

from careline import subjects
from careline.acd.app import create_app
from careline.acd.settings import AcdSettings
from careline.switchsim import TRACE_DIALPLAN, PhoneBehaviour, Switch, SwitchConfig
from careline.v1.acd_pb2 import EnqueueReply, EnqueueRequest


@pytest.fixture
async def center(tmp_path, nats_url, bus):
    config = SwitchConfig(esl_port=0, password=secrets.token_hex(8), time_scale=0.05)
    # The simulator's park returns after a uuid_broadcast (real FreeSWITCH parks again), so these
    # callers' dialplan parks again and again, as the IVR's socket session keeps its caller.
    config.dialplan = [*TRACE_DIALPLAN, ("9190", [("answer", ""), *[("park", "")] * 200])]
    sw = Switch(config)
    await sw.start()
    settings = AcdSettings(
        env="test",
        data_dir=tmp_path,
        nats_url=nats_url,
        esl_port=sw.esl_port,
        esl_password=sw.config.password,
        tick_s=0.05,
    )
    app = create_app(settings)
    try:
        async with app.router.lifespan_context(app):
            async with httpx.AsyncClient(transport=httpx.ASGITransport(app), base_url="http://t") as client:
                await _until(lambda: _ready(client), "acd ready")
                yield sw, client, bus
    finally:
        await sw.stop()


async def _ready(client) -> bool:
    return (await client.get("/readyz")).status_code == 200


async def _until(predicate, what: str, within: float = 10.0) -> None:
    end = asyncio.get_running_loop().time() + within
    while not await predicate():
        assert asyncio.get_running_loop().time() < end, f"timed out waiting for {what}"
        await asyncio.sleep(0.02)


async def _caller(sw, bus, queue: str, number: str) -> tuple[str, EnqueueReply]:
    uuid = await sw.place_call(number, "9190")
    await sw.wait_call_event(uuid, "answered", 5)
    kv = await bus.kv(next(b for b in subjects.BUCKETS if b.name == subjects.KV_CALL_OWNER))
    await kv.create(uuid, b"ivr")
    request = EnqueueRequest(call_uuid=uuid, queue=queue, caller_number=number)
    return uuid, await bus.request(subjects.ACD_ENQUEUE, request, reply_type=EnqueueReply)


async def _agent(client, sw, agent_id, ext, behaviour, expect="available"):
    sw.add_phone(ext, behaviour)
    r = await client.post("/v1/agents", json={"id": agent_id, "name": agent_id, "extension": ext})
    assert r.status_code == 201, r.text
    assert (await client.post(f"/v1/agents/{agent_id}/login")).json()["state"] == expect


async def _state(client, agent_id) -> dict:
    return (await client.get(f"/v1/agents/{agent_id}")).json()


async def test_ring_all_first_answer_wins_then_wrap_up_extended_over_http(center):
    sw, client, bus = center
    r = await client.put("/v1/queues/care", json={"strategy": "ring_all", "wrap_up_s": 1.0})
    assert r.status_code == 200 and r.json()["strategy"] == "ring_all"
    await _agent(client, sw, "slow", "2001", PhoneBehaviour(answer_after=4.0, talk_time=None))
    await _agent(client, sw, "fast", "2002", PhoneBehaviour(answer_after=0.5, talk_time=2.0))
    uuid, reply = await _caller(sw, bus, "care", "13900000001")
    assert reply.accepted, reply.reason
    await asyncio.wait_for(sw.calls[uuid].done.wait(), 10)  # the agent hangs up after talking
    assert sw.calls[uuid].bridged_to == "2002"
    slow = sw.phones["2001"].history
    assert slow and slow[0]["answered_at"] is None  # it rang, and stopped when the other phone answered
    await _until(lambda: _in_state(client, "fast", "wrap_up"), "fast wrapping up")
    extended = (await client.post("/v1/agents/fast/wrap-up/extend", json={"seconds": 60})).json()
    assert extended["state"] == "wrap_up" and extended["wrap_up_left_s"] > 30
    assert (await _state(client, "slow"))["state"] == "available"
    assert (await client.post("/v1/agents/fast/available")).json()["state"] == "available"
    work = (await client.get("/v1/stats")).json()["workload"]["fast"]
    assert work["calls"] == 1 and work["talk_s"] > 0 and work["wrap_s"] > 0
    assert (await client.get("/v1/stats")).json()["queues"]["care"]["answered"] == 1


async def _in_state(client, agent_id, state) -> bool:
    return (await _state(client, agent_id))["state"] == state


async def test_no_agents_logged_in_overflows_to_a_goodbye_and_the_call_ends(center):
    sw, client, bus = center
    body = {"overflow": "goodbye", "overflow_when_no_agents": True, "goodbye_prompt": "ivr/bye.wav"}
    assert (await client.put("/v1/queues/night", json=body)).status_code == 200
    uuid, reply = await _caller(sw, bus, "night", "13900000002")
    assert reply.accepted
    await asyncio.wait_for(sw.calls[uuid].done.wait(), 10)
    assert sw.calls[uuid].bridged_to is None and "PLAYBACK_START" in sw.calls[uuid].events
    stats = (await client.get("/v1/stats")).json()["queues"]["night"]
    assert (stats["overflowed"], stats["waiting"], stats["abandoned"]) == (1, 0, 0)


async def test_waiting_caller_hears_announcements_and_overflows_to_another_queue(center):
    sw, client, bus = center
    await client.put("/v1/queues/backup", json={})
    body = {"announce_every_s": 0.2, "max_wait_s": 1, "overflow": "backup"}
    await client.put("/v1/queues/front", json=body)
    uuid, reply = await _caller(sw, bus, "front", "13900000003")
    assert reply.accepted and reply.position == 1

    async def moved() -> bool:
        return any(w["call_uuid"] == uuid for w in (await client.get("/v1/queues/backup")).json()["waiting"])

    await _until(moved, "overflow to backup")
    assert sw.calls[uuid].events.count("PLAYBACK_START") >= 2  # hold music, then an announcement
    assert (await client.get("/v1/queues/front")).json()["waiting"] == []
    await _agent(client, sw, "b1", "2003", PhoneBehaviour(answer_after=0.2, talk_time=1.0), "ringing")
    await asyncio.wait_for(sw.calls[uuid].done.wait(), 10)
    assert sw.calls[uuid].bridged_to == "2003"

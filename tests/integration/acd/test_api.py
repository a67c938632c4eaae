"""The ACD's HTTP API and enqueue contract against a real nats-server and the simulator (R-ACD1, R-ACD6)."""

from __future__ import annotations

import secrets

import httpx
import pytest

from careline import subjects
from careline.acd.app import create_app
from careline.acd.settings import AcdSettings
from careline.switchsim import Switch, SwitchConfig
from careline.v1.acd_pb2 import EnqueueReply, EnqueueRequest


@pytest.fixture
async def acd(tmp_path, nats_url):
    sw = Switch(SwitchConfig(esl_port=0, password=secrets.token_hex(8), time_scale=0.05))
    await sw.start()
    settings = AcdSettings(
        env="test",
        data_dir=tmp_path,
        nats_url=nats_url,
        esl_port=sw.esl_port,
        esl_password=sw.config.password,
    )
    app = create_app(settings)
    try:
        async with app.router.lifespan_context(app):
            async with httpx.AsyncClient(transport=httpx.ASGITransport(app), base_url="http://t") as client:
                yield client, app
    finally:
        await sw.stop()


async def test_agents_crud_and_states(acd):
    client, _ = acd
    r = await client.post("/v1/agents", json={"id": "a1", "name": "Ann", "extension": "1001"})
    assert r.status_code == 201 and r.json()["state"] == "logged_out"
    dup = await client.post("/v1/agents", json={"id": "a2", "name": "Bob", "extension": "1001"})
    assert dup.status_code == 409 and "1001" in dup.json()["detail"]
    assert (await client.patch("/v1/agents/a1", json={"name": "Anne"})).json()["name"] == "Anne"
    assert (await client.post("/v1/agents/a1/login")).json()["state"] == "available"
    brk = await client.post("/v1/agents/a1/break", json={"reason": "lunch"})
    assert (brk.json()["state"], brk.json()["break_reason"]) == ("on_break", "lunch")
    assert (await client.post("/v1/agents/a1/available")).json()["state"] == "available"
    assert (await client.post("/v1/agents/a1/logout")).json()["state"] == "logged_out"
    assert (await client.post("/v1/agents/nobody/login")).status_code == 404
    assert (await client.delete("/v1/agents/a1")).status_code == 204
    assert (await client.get("/v1/agents")).json() == []


async def test_queue_snapshot_needs_a_queue_then_shows_it(acd):
    client, _ = acd
    assert (await client.get("/v1/queue")).status_code == 404
    body = {
        "name": "general",
        "music_on_hold": "local_stream://moh",
        "no_answer_timeout_s": 10,
        "max_wait_s": 60,
    }
    assert (await client.put("/v1/queue", json=body)).status_code == 200
    snap = (await client.get("/v1/queue")).json()
    assert snap["config"].items() >= body.items() and snap["waiting"] == []
    assert snap["config"]["strategy"] == "longest_idle"
    stats = (await client.get("/v1/stats")).json()
    assert stats["offered"] == stats["answered"] == stats["abandoned"] == 0


async def test_enqueue_refuses_unknown_queue_and_calls_it_does_not_own(acd, bus):
    client, _ = acd
    await client.put("/v1/queue", json={"name": "general"})
    unknown = await bus.request(
        subjects.ACD_ENQUEUE, EnqueueRequest(call_uuid="c-x", queue="other"), reply_type=EnqueueReply
    )
    assert (unknown.accepted, unknown.reason) == (False, "queue_unknown")
    not_ivr = await bus.request(
        subjects.ACD_ENQUEUE,
        EnqueueRequest(call_uuid="c-never-in-ivr", queue="general"),
        reply_type=EnqueueReply,
    )
    assert (not_ivr.accepted, not_ivr.reason) == (False, "not_owner")


async def test_enqueue_of_a_call_that_is_gone_gives_ownership_back(acd, bus):
    client, _ = acd
    await client.put("/v1/queue", json={"name": "general"})
    kv = await bus.kv(next(b for b in subjects.BUCKETS if b.name == subjects.KV_CALL_OWNER))
    await kv.create("c-gone", b"ivr")
    reply = await bus.request(
        subjects.ACD_ENQUEUE, EnqueueRequest(call_uuid="c-gone", queue="general"), reply_type=EnqueueReply
    )
    assert (reply.accepted, reply.reason) == (False, "call_gone")
    assert (await kv.get("c-gone")).value == b"ivr"

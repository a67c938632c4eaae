"""An agent's call controls on the simulator, as the desktop sees them (R-ACD3, R-ACD4, R-ACD5):
hold / unhold with hold time in the workload, blind transfer to an agent, a queue (the call data follows)
and a number, hang-up, outbound call (the agent's phone first, then the number); 409 without a call.
"""

from __future__ import annotations

import asyncio

from careline import subjects
from careline.switchsim import PhoneBehaviour
from careline.v1.acd_pb2 import AgentOffered, EnqueueReply, EnqueueRequest


async def _ok(request) -> bool:
    return (await request).status_code == 200


async def _until(predicate, what: str, within: float = 10.0) -> None:
    end = asyncio.get_running_loop().time() + within
    while not await predicate():
        assert asyncio.get_running_loop().time() < end, f"timed out waiting for {what}"
        await asyncio.sleep(0.02)


async def _agent(client, sw, agent_id, ext, queues=None, expect="available") -> None:
    sw.add_phone(ext, PhoneBehaviour(answer_after=0.2, talk_time=None))
    body = {"id": agent_id, "name": agent_id, "extension": ext, "queues": queues}
    r = await client.post("/v1/agents", json=body)
    assert r.status_code == 201, r.text
    assert (await client.post(f"/v1/agents/{agent_id}/login")).json()["state"] == expect


async def _caller(sw, bus, number: str, call_data: dict | None = None) -> str:
    uuid = await sw.place_call(number, "9190")
    await sw.wait_call_event(uuid, "answered", 5)
    kv = await bus.kv(next(b for b in subjects.BUCKETS if b.name == subjects.KV_CALL_OWNER))
    await kv.create(uuid, b"ivr")
    request = EnqueueRequest(call_uuid=uuid, queue="care", caller_number=number, call_data=call_data or {})
    reply = await bus.request(subjects.ACD_ENQUEUE, request, reply_type=EnqueueReply)
    assert reply.accepted, reply.reason
    return uuid


async def _bridged_to(sw, uuid: str, ext: str) -> None:
    async def check() -> bool:
        return sw.calls[uuid].bridged_to == ext

    await _until(check, f"caller bridged to {ext}")


async def _state(client, agent_id) -> dict:
    return (await client.get(f"/v1/agents/{agent_id}")).json()


async def _on_call(client, agent_id) -> None:
    async def check() -> bool:
        return (await _state(client, agent_id))["state"] == "on_call"

    await _until(check, f"{agent_id} on a call")


async def test_controls_refuse_an_agent_without_a_call(desk):
    sw, client, _ = desk
    await _agent(client, sw, "a1", "2001")
    for path, body in (("hold", None), ("unhold", None), ("hangup", None), ("transfer", {"queue": "care"})):
        r = await client.post(f"/v1/agents/a1/call/{path}", json=body)
        assert r.status_code == 409 and "has no call" in r.json()["detail"], (path, r.text)
    assert (await client.post("/v1/agents/nobody/call/hold")).status_code == 404


async def test_hold_unhold_counts_hold_time_then_agent_hangs_up(desk):
    """Hold plays the music to the caller's leg and re-INVITEs no phone: on real phones a uuid_hold of
    either leg gave the caller dead air (issue 8). The bridge stays up."""
    sw, client, bus = desk
    await _agent(client, sw, "a1", "2001")
    uuid = await _caller(sw, bus, "13900000001")
    await _on_call(client, "a1")
    agent_leg = sw.core.get(sw.calls[uuid].bridged_uuid)
    held = await client.post("/v1/agents/a1/call/hold")
    assert held.status_code == 200 and held.json()["on_hold"] is True
    assert sw.core.get(uuid).callstate != "HELD" and agent_leg.callstate != "HELD"  # no re-INVITE
    again = await client.post("/v1/agents/a1/call/hold")  # a repeated click changes nothing
    assert again.status_code == 200 and again.json()["on_hold"] is True
    await asyncio.sleep(0.2)
    back = (await client.post("/v1/agents/a1/call/unhold")).json()
    assert back["on_hold"] is False and back["workload"]["hold_s"] >= 0.2
    assert sw.calls[uuid].bridged_uuid == agent_leg.uuid  # still talking to the same agent
    ended = await client.post("/v1/agents/a1/call/hangup")
    assert ended.status_code == 200 and ended.json()["state"] == "available"
    await asyncio.wait_for(sw.calls[uuid].done.wait(), 5)  # the caller's line is closed too
    assert (await _state(client, "a1"))["workload"]["calls"] == 1


async def test_hold_plays_music_to_the_caller_and_unhold_stops_it(desk):
    """Issue 8: on hold the caller hears the hold music; unhold stops it and the call goes on."""
    sw, client, bus = desk
    await _agent(client, sw, "a1", "2001")
    uuid = await _caller(sw, bus, "13900000005")
    await _on_call(client, "a1")
    events = sw.calls[uuid].events
    started, stopped = events.count("PLAYBACK_START"), events.count("PLAYBACK_STOP")
    assert (await client.post("/v1/agents/a1/call/hold")).status_code == 200

    async def music() -> bool:
        return events.count("PLAYBACK_START") > started and sw.hearing(uuid) == "local_stream://moh"

    await _until(music, "hold music playing to the caller", within=5)
    assert (await client.post("/v1/agents/a1/call/unhold")).status_code == 200

    async def silence() -> bool:
        return events.count("PLAYBACK_STOP") > stopped and sw.hearing(uuid) != "local_stream://moh"

    await _until(silence, "hold music stopped", within=5)
    assert sw.calls[uuid].hangup_cause is None


async def test_blind_transfer_to_an_agent_carries_the_call_data(desk, bus):
    sw, client, _ = desk
    await _agent(client, sw, "a1", "2001")
    uuid = await _caller(sw, bus, "13900000002", {"patient_id": "P-77", "reason": "lab results"})
    await _on_call(client, "a1")
    await _agent(client, sw, "a2", "2002")
    pops: list[AgentOffered] = []

    async def keep(msg) -> None:
        pops.append(AgentOffered.FromString(msg.data))

    sub = await bus.nc.subscribe(subjects.agent_screenpop("a2"), cb=keep)
    try:
        r = await client.post("/v1/agents/a1/call/transfer", json={"agent": "a2"})
        assert r.status_code == 200 and r.json()["state"] == "available"
        await _on_call(client, "a2")
        await _until(lambda: _truthy(pops), "a2's screen pop")
    finally:
        await sub.unsubscribe()
    await _bridged_to(sw, uuid, "2002")
    assert sw.calls[uuid].hangup_cause is None
    assert pops[0].call_uuid == uuid
    assert dict(pops[0].screen_pop) == {"patient_id": "P-77", "reason": "lab results", "transferred_by": "a1"}
    assert (await _state(client, "a2"))["call_uuid"] == uuid
    assert (await _state(client, "a1"))["workload"]["calls"] == 1


async def _truthy(items) -> bool:
    return bool(items)


async def test_blind_transfer_to_a_queue_waits_there_then_reaches_its_agent(desk, bus):
    sw, client, _ = desk
    await client.put("/v1/queues/pharmacy", json={})
    await _agent(client, sw, "a1", "2001", queues=["care"])
    uuid = await _caller(sw, bus, "13900000003", {"patient_id": "P-9"})
    await _on_call(client, "a1")
    r = await client.post("/v1/agents/a1/call/transfer", json={"queue": "pharmacy"})
    assert r.status_code == 200 and r.json()["state"] == "available", r.text
    waiting = (await client.get("/v1/queues/pharmacy")).json()["waiting"]
    assert [w["call_uuid"] for w in waiting] == [uuid]
    assert waiting[0]["wait_s"] >= 0 and (await _state(client, "a1"))["state"] == "available"
    await _agent(client, sw, "p1", "2003", queues=["pharmacy"], expect="ringing")  # offered at once
    await _on_call(client, "p1")
    await _bridged_to(sw, uuid, "2003")
    assert sw.calls[uuid].hangup_cause is None
    stats = (await client.get("/v1/stats")).json()["queues"]
    assert stats["care"]["answered"] == 1 and stats["pharmacy"]["answered"] == 1


async def test_blind_transfer_to_a_number(desk, bus):
    sw, client, _ = desk
    await _agent(client, sw, "a1", "2001")
    sw.add_phone("8123", PhoneBehaviour(answer_after=0.2, talk_time=None))  # the ward's desk
    uuid = await _caller(sw, bus, "13900000004")
    await _on_call(client, "a1")
    r = await client.post("/v1/agents/a1/call/transfer", json={"number": "8123"})
    assert r.status_code == 200 and r.json()["state"] == "available"

    async def at_ward() -> bool:
        return bool(sw.phones["8123"].current_calls)

    await _until(at_ward, "the caller at the ward's phone")
    assert sw.calls[uuid].hangup_cause is None  # the caller is still on the line, now with the ward
    assert any(h["answered_at"] is not None for h in sw.phones["8123"].history)


async def test_outbound_call_rings_the_agent_first_then_the_number(desk):
    sw, client, _ = desk
    await _agent(client, sw, "a1", "2001")
    sw.add_phone("8555", PhoneBehaviour(answer_after=0.5, talk_time=1.0))  # the patient hangs up after 1 s
    r = await client.post("/v1/agents/a1/call/dial", json={"number": "8555", "call_data": {"care": "c-1"}})
    assert r.status_code == 200, r.text
    out = r.json()
    assert out["agent"]["state"] == "on_call" and out["agent"]["call_uuid"] == out["number_leg"]
    agent_rang = sw.phones["2001"].history[0]["rang_at"]

    async def patient_rang() -> bool:
        return bool(sw.phones["8555"].history)

    await _until(patient_rang, "the patient's phone ringing")
    assert sw.phones["8555"].history[0]["rang_at"] >= agent_rang
    busy = await client.post("/v1/agents/a1/call/dial", json={"number": "8555"})
    assert busy.status_code == 409  # one call at a time

    async def back() -> bool:
        return (await _state(client, "a1"))["state"] == "available"

    await _until(back, "a1 available after the patient hung up")
    assert (await _state(client, "a1"))["workload"]["calls"] == 1

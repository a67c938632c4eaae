"""The supervisor's seat on the simulator (R-SUP1, R-REC2, R-ACD6): the snapshot's seat counts, the SSE
stream of agent changes and help requests, forced states, listen / whisper / barge with eavesdrop, and
alarms on NATS and in the metrics when thresholds are crossed and cleared.
"""

from __future__ import annotations

import asyncio
import json

from careline import subjects
from careline.v1.acd_pb2 import Alarm
from tests.integration.acd.test_call_controls import _agent, _caller, _on_call, _until


def _sse(text: str) -> list[tuple[str, dict]]:
    events = []
    for block in text.split("\n\n"):
        lines = dict(line.split(": ", 1) for line in block.splitlines() if not line.startswith(":"))
        if "event" in lines:
            events.append((lines["event"], json.loads(lines["data"])))
    return events


async def test_snapshot_stream_forced_states_and_help_requests(desk):
    sw, client, _ = desk
    await _agent(client, sw, "a1", "2001")
    await _agent(client, sw, "a2", "2002")
    await client.post("/v1/agents/a2/break", json={"reason": "training"})
    assert (await client.post("/v1/agents", json={"id": "a3", "name": "a3", "extension": "2003"})).is_success
    snap = (await client.get("/v1/supervisor/snapshot")).json()
    assert snap["seats"] == {"serving": 0, "idle": 1, "on_break": 1, "closed": 1}
    assert [q["name"] for q in snap["queues"]] == ["care"] and len(snap["agents"]) == 3

    stream = asyncio.create_task(client.get("/v1/supervisor/events", params={"max_events": 8}))
    await asyncio.sleep(0.2)  # the stream is open
    forced = await client.post("/v1/supervisor/agents/a2/state", json={"state": "available"})
    assert forced.json()["state"] == "available"
    help_ = await client.post("/v1/agents/a1/help", json={"message": "caller asks for a doctor"})
    assert help_.status_code == 201
    assert [h["agent_id"] for h in (await client.get("/v1/supervisor/snapshot")).json()["help_requests"]] == [
        "a1"
    ]
    ack = await client.post(f"/v1/supervisor/help/{help_.json()['id']}/ack", json={"supervisor": "s1"})
    assert ack.json()["acknowledged_by"] == "s1"
    await client.post("/v1/supervisor/agents/a1/state", json={"state": "logged_out"})
    events = _sse((await asyncio.wait_for(stream, 10)).text)
    present = [(k, d.get("id"), d.get("state")) for k, d in events[:3]]  # it starts from the present
    assert present == [
        ("agent", "a1", "available"),
        ("agent", "a2", "on_break"),
        ("agent", "a3", "logged_out"),
    ]
    assert events[3] == ("queue", {"name": "care", "waiting": 0})
    assert ("agent", "a2", "available") in [(k, d.get("id"), d.get("state")) for k, d in events]
    assert ("agent", "a1", "logged_out") in [(k, d.get("id"), d.get("state")) for k, d in events]
    helps = [d for k, d in events if k == "help"]
    assert [h["acknowledged_by"] for h in helps] == [None, "s1"]
    snap = (await client.get("/v1/supervisor/snapshot")).json()
    assert snap["help_requests"] == [] and snap["seats"]["closed"] == 2


async def test_forced_log_out_of_an_agent_on_a_call_is_refused_with_a_reason(desk):
    sw, client, bus = desk
    await _agent(client, sw, "a1", "2001")
    await _caller(sw, bus, "13900000011")
    await _on_call(client, "a1")
    r = await client.post("/v1/supervisor/agents/a1/state", json={"state": "logged_out"})
    assert r.status_code == 409 and "on_call" in r.json()["detail"]


async def test_whisper_then_the_supervisor_leg_ends_with_the_call(desk):
    sw, client, bus = desk
    await _agent(client, sw, "a1", "2001")
    from careline.switchsim import PhoneBehaviour

    sw.add_phone("4001", PhoneBehaviour(answer_after=0.2, talk_time=None))  # the supervisor's phone
    nobody = await client.post("/v1/supervisor/eavesdrop", json={"agent": "a1", "extension": "4001"})
    assert nobody.status_code == 409  # a1 has no call yet
    uuid = await _caller(sw, bus, "13900000012")
    await _on_call(client, "a1")
    agent_leg = (await client.get("/v1/agents/a1")).json()
    body = {"agent": "a1", "extension": "4001", "mode": "whisper"}
    r = await client.post("/v1/supervisor/eavesdrop", json=body)
    assert r.status_code == 200, r.text
    leg = sw.core.get(r.json()["leg_uuid"])
    assert leg is not None and leg.vars["eavesdrop_whisper_aleg"] == "true"
    assert leg.vars.get("eavesdrop_whisper_bleg") is None  # whisper: the caller does not hear

    async def listening() -> bool:
        return leg.vars.get("eavesdrop_mode") == "whisper"

    await _until(listening, "the supervisor whispering")
    assert leg.vars["eavesdrop_target"] == sw.calls[uuid].bridged_uuid
    assert agent_leg["call_uuid"] == uuid
    barge = await client.post("/v1/supervisor/eavesdrop", json={**body, "mode": "barge"})
    barge_leg = sw.core.get(barge.json()["leg_uuid"])
    await _until(lambda: _is(barge_leg.vars.get("eavesdrop_mode"), "barge"), "barge")
    await client.post("/v1/agents/a1/call/hangup")
    await _until(lambda: _is(leg.alive, False), "the supervisor's leg ended with the call")
    await _until(lambda: _is(barge_leg.alive, False), "the barge leg ended with the call")


async def _is(value, expected) -> bool:
    return value == expected


async def test_alarms_raised_and_cleared_on_nats_and_in_metrics(desk, bus):
    sw, client, _ = desk
    body = {"alarm_queue_length": 1, "alarm_wait_s": 0.3, "alarm_agent_idle_s": 60}
    assert (await client.put("/v1/queues/care", json=body)).status_code == 200
    alarms: list[Alarm] = []

    async def keep(msg) -> None:
        alarms.append(Alarm.FromString(msg.data))

    sub = await bus.nc.subscribe(subjects.ACD_ALARM, cb=keep)
    try:
        await _caller(sw, bus, "13900000013")  # nobody logged in: the caller waits

        async def raised() -> bool:
            return {(a.kind, a.active) for a in alarms} >= {("queue_length", True), ("longest_wait", True)}

        await _until(raised, "queue-length and longest-wait alarms")
        snap = (await client.get("/v1/supervisor/snapshot")).json()
        assert {a["kind"] for a in snap["alarms"]} == {"queue_length", "longest_wait"}
        metrics = (await client.get("/metrics")).text
        assert 'careline_acd_alarm_active{kind="queue_length",queue="care"} 1.0' in metrics
        assert 'careline_acd_alarms_total{kind="longest_wait",queue="care"} 1.0' in metrics
        await _agent(client, sw, "a1", "2001", expect="ringing")
        await _on_call(client, "a1")

        async def cleared() -> bool:
            return {(a.kind, a.active) for a in alarms} >= {("queue_length", False), ("longest_wait", False)}

        await _until(cleared, "alarms cleared once the caller is answered")
    finally:
        await sub.unsubscribe()
    assert [a.queue for a in alarms] == ["care"] * len(alarms)
    metrics = (await client.get("/metrics")).text
    assert 'careline_acd_alarm_active{kind="queue_length",queue="care"} 0.0' in metrics

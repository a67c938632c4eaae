"""Attended transfer and three-way conference on the simulator, as caller and agents live them (R-ACD3):
the caller waits on hold while the agent consults a colleague, then is bridged to the colleague (complete)
or back to the agent (cancel); caller, agent and a third party together in a conference."""

from __future__ import annotations

import asyncio

from careline.switchsim import PhoneBehaviour

from .test_call_controls import _agent, _bridged_to, _caller, _on_call, _state, _until


async def _consulting(client, sw, caller: str) -> None:
    await _agent(client, sw, "a1", "2001", expect="ringing")  # the caller waits already
    await _on_call(client, "a1")
    await _bridged_to(sw, caller, "2001")
    await _agent(client, sw, "a2", "2002")
    r = await client.post("/v1/agents/a1/call/consult", json={"agent": "a2"})
    assert r.status_code == 200, r.text
    assert r.json()["on_hold"] is True and r.json()["state"] == "on_call"
    assert (await _state(client, "a2"))["state"] == "on_call"  # a2 talks to a1
    assert sw.calls[caller].bridged_to != "2002"  # the caller does not hear the consultation
    assert "PLAYBACK_START" in sw.calls[caller].events  # hold music
    assert sw.calls[caller].hangup_cause is None


async def test_attended_transfer_completed_bridges_the_caller_to_the_colleague(desk):
    sw, client, bus = desk
    caller = await _caller_for_desk(sw, bus, client)
    await _consulting(client, sw, caller)
    done = await client.post("/v1/agents/a1/call/consult/complete")
    assert done.status_code == 200, done.text
    await _bridged_to(sw, caller, "2002")
    assert sw.calls[caller].hangup_cause is None
    assert (await _state(client, "a1"))["state"] == "available"
    a2 = await _state(client, "a2")
    assert a2["state"] == "on_call" and a2["call_uuid"] == caller
    assert (await client.post("/v1/agents/a1/call/consult/complete")).status_code == 409
    assert (await client.post("/v1/agents/a2/call/hangup")).status_code == 200  # a2 owns the call now
    await asyncio.wait_for(sw.calls[caller].done.wait(), 5)
    assert (await _state(client, "a1"))["workload"]["calls"] == 1


async def test_attended_transfer_cancelled_brings_the_caller_back_to_the_agent(desk):
    sw, client, bus = desk
    caller = await _caller_for_desk(sw, bus, client)
    await _consulting(client, sw, caller)
    back = await client.post("/v1/agents/a1/call/consult/cancel")
    assert back.status_code == 200 and back.json()["on_hold"] is False, back.text

    async def a2_free() -> bool:
        return (await _state(client, "a2"))["state"] == "available"

    await _until(a2_free, "a2 free again")
    await _bridged_to(sw, caller, "2001")
    assert sw.calls[caller].hangup_cause is None
    assert (await _state(client, "a1"))["state"] == "on_call"
    assert (await client.post("/v1/agents/a1/call/consult/cancel")).status_code == 409


async def test_three_way_conference_with_a_number(desk):
    sw, client, bus = desk
    caller = await _caller_for_desk(sw, bus, client)
    await _agent(client, sw, "a1", "2001", expect="ringing")  # the caller waits already
    await _on_call(client, "a1")
    sw.add_phone("8777", PhoneBehaviour(answer_after=0.2, talk_time=None))  # the interpreter
    r = await client.post("/v1/agents/a1/call/conference", json={"number": "8777"})
    assert r.status_code == 200, r.text
    room = r.json()["room"]
    conf = sw.core.conferences[room]
    assert len(conf.members) == 3  # caller, agent and the interpreter
    assert sw.calls[caller].hangup_cause is None and r.json()["agent"]["state"] == "on_call"
    bad = await client.post("/v1/agents/a1/call/conference", json={"agent": "a1"})
    assert bad.status_code == 409
    both = await client.post("/v1/agents/a1/call/consult", json={"agent": "x", "number": "1"})
    assert both.status_code == 400


async def _caller_for_desk(sw, bus, client) -> str:
    return await _caller(sw, bus, "13900000041")

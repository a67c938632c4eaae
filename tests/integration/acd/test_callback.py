"""Queued callback on the simulator as the callers and the agent live it (R-ACD1, R-ACD5, issue 3):
the caller presses * while waiting, hears the thank-you prompt and is hung up, keeps their place ahead of
a later caller, and when the agent is free the agent's phone rings first, then the caller's; a queue that
overflows to a callback does the same without a key."""

from __future__ import annotations

import asyncio

from careline.switchsim import PhoneBehaviour

from .test_call_controls import _agent, _caller, _on_call, _state, _until

PROMPT = "ivr/careline-callback-ok.wav"


async def _waiting(client, queue="care") -> list[dict]:
    return (await client.get(f"/v1/queues/{queue}")).json()["waiting"]


async def test_star_leaves_the_queue_keeps_the_place_and_the_agent_then_the_caller_are_rung(desk):
    sw, client, bus = desk
    body = {"wrap_up_s": 0, "callback_key": "*", "music_on_hold": "ivr/moh.wav", "callback_prompt": PROMPT}
    assert (await client.put("/v1/queues/care", json=body)).status_code == 200
    await _agent(client, sw, "a1", "2001")
    first = await _caller(sw, bus, "13900000031")
    await _on_call(client, "a1")
    patient = sw.add_phone("8601", PhoneBehaviour(answer_after=0.3, talk_time=None))  # the caller's phone
    leaving = await _caller(sw, bus, "8601")
    later = await _caller(sw, bus, "13900000033")
    sw.send_dtmf(leaving, "*")

    await asyncio.wait_for(sw.calls[leaving].done.wait(), 5)  # thanked, then hung up
    assert "PLAYBACK_START" in sw.calls[leaving].events and sw.calls[leaving].bridged_to is None
    waiting = await _waiting(client)
    assert [w["call_uuid"] for w in waiting] == [f"callback-{leaving}", later]  # the place is kept
    assert waiting[0]["caller_number"] == "8601"
    assert (await client.get("/v1/stats")).json()["queues"]["care"]["abandoned"] == 0

    assert (await client.post("/v1/agents/a1/call/hangup")).status_code == 200
    await asyncio.wait_for(sw.calls[first].done.wait(), 5)

    async def patient_talking() -> bool:
        return any(h["answered_at"] is not None for h in patient.history)

    await _until(patient_talking, "the caller called back")
    agent_ring = sw.phones["2001"].history[-1]
    assert (
        agent_ring["answered_at"] is not None and patient.history[0]["rang_at"] >= agent_ring["answered_at"]
    )
    await _on_call(client, "a1")
    assert (await _state(client, "a1"))["call_uuid"] not in (leaving, later)  # the new leg to the caller
    assert [w["call_uuid"] for w in await _waiting(client)] == [later]  # the later caller is next
    assert sw.calls[later].hangup_cause is None


async def test_overflow_to_a_callback_hangs_up_politely_and_rings_back_when_an_agent_logs_in(desk):
    sw, client, bus = desk
    body = {"max_wait_s": 1, "overflow": "callback", "callback_prompt": PROMPT}
    assert (await client.put("/v1/queues/care", json=body)).status_code == 200
    patient = sw.add_phone("8602", PhoneBehaviour(answer_after=0.2, talk_time=0.5))
    uuid = await _caller(sw, bus, "8602")
    await asyncio.wait_for(sw.calls[uuid].done.wait(), 10)  # after max wait: the prompt, then goodbye
    assert "PLAYBACK_START" in sw.calls[uuid].events and sw.calls[uuid].bridged_to is None
    assert [w["call_uuid"] for w in await _waiting(client)] == [f"callback-{uuid}"]
    await _agent(client, sw, "a1", "2001", expect="ringing")  # offered the callback at once

    async def called_back() -> bool:
        return bool(patient.history) and patient.history[0]["answered_at"] is not None

    await _until(called_back, "the caller called back")

    async def done() -> bool:  # the patient hangs up after talking: the agent is free again
        return (await _state(client, "a1"))["state"] == "available"

    await _until(done, "a1 available again")
    stats = (await client.get("/v1/stats")).json()["queues"]["care"]
    assert (stats["overflowed"], stats["answered"], stats["abandoned"], stats["waiting"]) == (1, 1, 0, 0)
    assert (await _state(client, "a1"))["workload"]["calls"] == 1

"""Agents rung outside the ACD (issue 8 part 5, R-ACD6): when the dialplan rings an agent's phone directly
(the IVR-down fallback's ``bridge user/<ext>``), the ACD hears it from the switch's events, does not offer
that agent a queued caller meanwhile, and offers the caller as soon as the outside call ends."""

from __future__ import annotations

import asyncio
import json

from careline.switchsim import PhoneBehaviour

from .conftest import desk_settings, desk_switch, running_acd
from .test_call_controls import _agent, _bridged_to, _caller, _state, _until


async def _busy_outside(client, agent_id: str) -> bool:
    """The supervisor stream starts with every agent as they are now (one agent here)."""
    r = await client.get("/v1/supervisor/events", params={"max_events": 1})
    (data,) = [json.loads(line[6:]) for line in r.text.splitlines() if line.startswith("data: ")]
    assert data["id"] == agent_id
    return data["busy_outside"]


async def test_an_agent_rung_outside_the_acd_gets_no_queued_caller_until_that_call_ends(desk):
    sw, client, bus = desk
    await _agent(client, sw, "a1", "2001")
    sw.set_phone("2001", PhoneBehaviour(answer_after=0.2, talk_time=None))
    direct = await sw.place_call("13900000061", "direct-2001")  # the IVR is down: straight to the operator

    async def busy() -> bool:
        return await _busy_outside(client, "a1")

    await _until(busy, "the ACD seeing a1 on an outside call")
    await _bridged_to(sw, direct, "2001")
    caller = await _caller(sw, bus, "13900000062")
    await asyncio.sleep(0.5)  # the ACD would ring a1 at once if it thought a1 free
    assert (await _state(client, "a1"))["state"] == "available"  # logged in, but on the phone
    waiting = (await client.get("/v1/queues/care")).json()["waiting"]
    assert [w["call_uuid"] for w in waiting] == [caller]
    assert sw.phones["2001"].max_concurrent == 1  # never a second call on the phone
    sw.hangup(direct)
    await _bridged_to(sw, caller, "2001")  # free again: the waiting caller is offered at once
    assert not await _busy_outside(client, "a1")
    assert (await _state(client, "a1"))["state"] == "on_call"


async def test_an_outside_ring_that_is_not_answered_frees_the_agent(desk):
    sw, client, bus = desk
    await _agent(client, sw, "a1", "2001")
    sw.set_phone("2001", PhoneBehaviour(mode="ring"))  # rings until the caller gives up
    direct = await sw.place_call("13900000063", "direct-2001")

    async def busy() -> bool:
        return await _busy_outside(client, "a1")

    await _until(busy, "the ACD seeing a1's phone ring")
    sw.hangup(direct)

    async def free() -> bool:
        return not await _busy_outside(client, "a1")

    await _until(free, "a1 free after the outside ring stopped")
    sw.set_phone("2001", PhoneBehaviour(answer_after=0.2, talk_time=None))
    caller = await _caller(sw, bus, "13900000064")
    await _bridged_to(sw, caller, "2001")


async def test_an_acd_started_during_an_outside_call_counts_the_agent_busy(tmp_path, nats_url, bus):
    """The channel list read at start (``show channels as json``) finds the call no event announced."""
    sw = desk_switch()
    await sw.start()
    try:
        settings = desk_settings(sw, tmp_path, nats_url)
        async with running_acd(settings) as client:
            await _agent(client, sw, "a1", "2001")  # stored: the next start loads a1
        direct = await sw.place_call("13900000065", "direct-2001")  # while no ACD runs
        await _bridged_to(sw, direct, "2001")
        async with running_acd(settings) as client:

            async def busy() -> bool:
                return await _busy_outside(client, "a1")

            await _until(busy, "the ACD finding a1 on the call it did not make")
            assert (await client.post("/v1/agents/a1/login")).status_code == 200
            caller = await _caller(sw, bus, "13900000066")
            await asyncio.sleep(0.5)  # the ACD would ring a1 at once if it thought a1 free
            assert (await _state(client, "a1"))["state"] == "available"
            assert sw.phones["2001"].max_concurrent == 1
            sw.hangup(direct)
            await _bridged_to(sw, caller, "2001")
    finally:
        await sw.stop()

"""Hold on the real switch (issue 8 "Done when", R-ACD3): the agent holds the call through the ACD's API
and the caller hears music.

The ACD broadcasts the hold music on the caller's leg of the bridge (no re-INVITE to anyone) and breaks
it at unhold. Holding the agent's leg with ``uuid_hold`` (the first fix) re-INVITEs the agent's phone
sendonly; a phone answering recvonly, as desk phones do (RFC 3264 §8.4), left the caller with 0 RTP
packets for the whole hold. The caller's RTP is measured before (the agent's phone sends silence),
during and after the hold, and what the agent's phone receives during the hold.
"""

from __future__ import annotations

import asyncio

import pytest

from tests.real_fs.center import contact_center


@pytest.fixture
async def center(real_fs, tmp_path, nats_url):
    async with contact_center(real_fs, tmp_path, nats_url) as center:
        yield center


async def _agent_on_call(center, extension: str = "1001") -> tuple[object, object, str, str]:
    acd = center.clients["acd"]
    assert (await acd.put("/v1/queue", json={"name": "general", "max_wait_s": 300})).status_code == 200
    phone = await center.phone(extension, answer_after_s=1.5)
    r = await acd.post("/v1/agents", json={"id": "a1", "name": "Agent a1", "extension": extension})
    assert r.status_code == 201, r.text
    assert (await acd.post("/v1/agents/a1/login")).json()["state"] == "available"
    caller, uuid = await center.call("13700000201")
    await center.answer(caller, uuid, "careline-main-menu", "0")  # 0: a human
    bridge = await center.board.wait_event(uuid, "CHANNEL_BRIDGE", key="Unique-ID", within=30)
    agent_leg = bridge.get("Other-Leg-Unique-ID") or center.board.legs_of_call(uuid)[0]
    return phone, caller, uuid, agent_leg


async def test_the_agent_holds_the_call_and_the_caller_hears_music(center):
    acd = center.clients["acd"]
    phone, caller, uuid, agent_leg = await _agent_on_call(center)
    loop = asyncio.get_running_loop()
    talk_from = loop.time()
    await asyncio.sleep(3)
    talk = caller.media.between(talk_from, loop.time())

    mark = center.board.mark(uuid)
    held = await acd.post("/v1/agents/a1/call/hold")
    assert held.status_code == 200 and held.json()["on_hold"] is True, held.text
    music = await center.board.wait_event(uuid, "PLAYBACK_START", contains="local_stream://moh", since=mark)
    await asyncio.sleep(5)
    on_hold = caller.media.between(music.at, loop.time())
    agent_heard = phone.media.between(music.at, loop.time())

    mark = center.board.mark(uuid)
    assert (await acd.post("/v1/agents/a1/call/unhold")).status_code == 200
    stop = await center.board.wait_event(uuid, "PLAYBACK_STOP", contains="local_stream://moh", since=mark)
    await asyncio.sleep(0.5)  # what was already in flight
    after_from = loop.time()
    await asyncio.sleep(3)
    after = caller.media.between(after_from, loop.time())
    audible = caller.media.audible
    print(
        f"talk 3 s: {len(talk)} RTP, {audible(talk)} audible; hold {stop.at - music.at:.1f} s: "
        f"{len(on_hold)} RTP, {audible(on_hold)} audible; after unhold 3 s: {len(after)} RTP, "
        f"{audible(after)} audible; agent leg events: "
        f"{[e.name for e in center.board.of(agent_leg) if 'HOLD' in e.name or 'CALLSTATE' in e.name]}"
    )
    await center.hang_up(uuid)
    await center.board.ended(agent_leg)
    print(
        "switch RTP counters: caller",
        center.board.rtp_counts(uuid),
        "agent",
        center.board.rtp_counts(agent_leg),
    )
    assert audible(talk) < 10, "the agent's phone sends silence"
    assert len(on_hold) > 150 and audible(on_hold) > 0.5 * len(on_hold), (
        f"no music during the hold: {len(on_hold)} RTP packets to the caller in {stop.at - music.at:.1f} s "
        f"although the switch started {music.get('Playback-File-Path')} on the caller's leg"
    )
    assert audible(after) < 10, "the music stops at unhold"
    assert phone.media.audible(agent_heard) < 10, "the agent hears no music while the caller is held"

"""careline.core.esl against the FreeSWITCH simulator (design §2, §7): api/bgapi, subscriptions and
filters, CUSTOM conference events, an outbound-socket call, and reconnect with resync."""

from __future__ import annotations

import asyncio
import json
import uuid as uuidlib

import pytest

from careline.core.esl import EslCallHungUp, EslClient, OutboundServer
from careline.switchsim import TRACE_DIALPLAN, CallerScript, Switch, SwitchConfig

pytestmark = pytest.mark.timeout(30)
CALL_EVENTS = ["CHANNEL_CREATE", "CHANNEL_ANSWER", "CHANNEL_HANGUP", "CHANNEL_HANGUP_COMPLETE"]


async def _until(predicate, timeout: float = 5.0) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not predicate():
        assert loop.time() < deadline, "condition not met in time"
        await asyncio.sleep(0.01)


@pytest.fixture
async def client(switch):
    esl = EslClient("127.0.0.1", switch.esl_port, "ClueCon", command_timeout=5)
    yield esl
    await esl.close()


async def test_api_and_bgapi(client):
    await client.start()
    assert (await client.api("version")).startswith("FreeSWITCH Version 1.11.2")
    result = await client.bgapi("originate loopback/9101/default &park()")
    assert result.startswith("+OK ")
    call_uuid = result[4:].strip()
    assert str(uuidlib.UUID(call_uuid)) == call_uuid
    assert (await client.api(f"uuid_exists {call_uuid}")).strip() in ("true", "false")  # may be over
    assert (await client.api("nosuchcommand")).startswith("-ERR")


async def test_filtered_subscriptions_deliver_one_calls_events_in_order(client):
    """Filters are FreeSWITCH-side: only the chosen call's events arrive, in wire order."""
    wanted, other = str(uuidlib.uuid4()), str(uuidlib.uuid4())
    got = []
    client.subscribe(CALL_EVENTS, got.append, filters={"Unique-ID": [wanted]})
    await client.start(wait=False)  # subscriptions made while opening count too (regression 1)
    client.subscribe(["CHANNEL_EXECUTE"], got.append)
    await _until(lambda: client.connected)
    for call_uuid in (other, wanted):
        reply = await client.bgapi(f"originate {{origination_uuid={call_uuid}}}loopback/9101/default &park()")
        assert reply.strip() == f"+OK {call_uuid}"
    await client.api(f"uuid_kill {wanted}")
    await _until(lambda: any(e.name == "CHANNEL_HANGUP_COMPLETE" for e in got))
    assert {e.uuid for e in got} == {wanted}
    names = [e.name for e in got if e.name != "CHANNEL_EXECUTE"]
    assert names == CALL_EVENTS
    assert any(e.name == "CHANNEL_EXECUTE" for e in got)


async def test_custom_conference_events(switch, client):
    members, answers = [], []
    client.subscribe(["CUSTOM conference::maintenance"], members.append)
    client.subscribe(["CHANNEL_ANSWER"], answers.append)
    await client.start()
    call_uuid = await switch.place_call("1000", "3001")
    await _until(lambda: any(e.get("Action") == "add-member" for e in members))
    switch.hangup(call_uuid)
    await _until(lambda: any(e.get("Action") == "del-member" for e in members))
    assert {e.name for e in members} == {"CUSTOM"}
    assert {e.subclass for e in members} == {"conference::maintenance"}
    actions = [e.get("Action") for e in members if e.get("Unique-ID") == call_uuid]
    assert actions.index("add-member") < actions.index("del-member")
    assert all(e.get("Conference-Name") == "3001" for e in members)
    assert [e.uuid for e in answers] == [call_uuid]  # CUSTOM did not reach the CHANNEL_ANSWER handler


async def test_outbound_call_answered_digits_collected_hung_up(switch):
    seen: dict[str, object] = {}
    finished = asyncio.Event()

    async def handler(call):
        try:
            await call.execute("answer")
            seen["digits"] = await call.play_and_get_digits(
                min_digits=1, max_digits=4, tries=1, timeout_ms=5000, prompt="tone_stream://%(300,0,800)"
            )
            await call.hangup()
            await call.wait_hangup(timeout=5)
            seen["hung_up"] = call.hung_up
        finally:
            finished.set()

    server = OutboundServer("127.0.0.1", 0, handler, linger=1)
    port = await server.start()
    try:
        switch.set_inbound_socket("127.0.0.1", port)
        steps = [CallerScript.wait_for("answered"), CallerScript.wait(1), CallerScript.press("42#")]
        script = CallerScript(steps)
        call_uuid = await switch.place_call("1000", "5555", script)
        await asyncio.wait_for(finished.wait(), 10)
        assert await switch.wait_call_event(call_uuid, "hangup", 10)
    finally:
        await server.stop(2)
    assert seen == {"digits": "42", "hung_up": True}
    assert switch.calls[call_uuid].answered_at is not None


async def test_outbound_execute_ends_when_the_caller_hangs_up(switch):
    """Regression 2 on the simulator: a long playback, the caller hangs up, execute ends at once."""
    seen: dict[str, object] = {}
    finished = asyncio.Event()

    async def handler(call):
        try:
            await call.execute("answer")
            with pytest.raises(EslCallHungUp):
                await asyncio.wait_for(call.execute("playback", "tone_stream://L=30;%(500,500,350,440)"), 10)
            seen["hung_up"] = call.hung_up
        finally:
            finished.set()

    server = OutboundServer("127.0.0.1", 0, handler, linger=30)  # lingers far beyond the test's waits
    port = await server.start()
    try:
        switch.set_inbound_socket("127.0.0.1", port)
        script = CallerScript([CallerScript.wait_for("answered"), CallerScript.hangup_after(1)])
        await switch.place_call("1000", "5555", script)
        await asyncio.wait_for(finished.wait(), 10)
    finally:
        await server.stop(2)
    assert seen == {"hung_up": True}


async def test_reconnect_replays_subscriptions_and_resync_sees_call_made_in_the_gap(switch):
    """The simulator cannot drop links: stop it and start a new one on the same port (design §2)."""
    port = switch.esl_port
    esl = EslClient("127.0.0.1", port, "ClueCon", command_timeout=5)
    answered = []
    esl.subscribe(["CHANNEL_ANSWER"], answered.append)
    resynced: asyncio.Queue = asyncio.Queue()

    async def resync(c):
        listing = json.loads(await c.api("show channels as json"))
        await resynced.put({row["uuid"] for row in listing.get("rows", [])})

    esl.on_reconnect(resync)
    second = None
    try:
        await esl.start()
        await switch.stop()
        second = Switch(SwitchConfig(host="127.0.0.1", esl_port=port, password="ClueCon", time_scale=0.05,
                                     dialplan=list(TRACE_DIALPLAN)))  # fmt: skip
        await second.start()
        gap_call = await second.place_call("1000", "9103")  # answer + park; made before any reconnect
        assert gap_call in await asyncio.wait_for(resynced.get(), 10)
        assert esl.connected and esl.generation == 2
        new_call = await second.place_call("1001", "9103")
        await _until(lambda: new_call in {e.uuid for e in answered})  # the subscription was replayed
    finally:
        await esl.close()
        if second is not None:
            await second.stop()

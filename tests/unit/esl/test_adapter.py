"""EslClient and OutboundServer against the scripted fake server (design §2)."""

from __future__ import annotations

import asyncio

import pytest

from careline.core.esl import EslClient, EslNotConnected, OutboundServer

from .doubles import CALL_UUID, FakeDialer, FakeEslServer, event_plain


@pytest.fixture
def fake():
    server = FakeEslServer(api={"version": "FreeSWITCH Version 1.11.2\n", "originate x": "+OK abc\n"})
    yield server
    server.close()


async def test_api_bgapi_and_subscriptions(fake):
    client = EslClient("127.0.0.1", fake.port, "ClueCon", command_timeout=2)
    got = []
    client.subscribe(
        ["CHANNEL_ANSWER", "CUSTOM conference::maintenance"], got.append, filters={"Unique-ID": ["u1"]}
    )
    await client.start()
    try:
        assert client.connected
        assert await client.api("version") == "FreeSWITCH Version 1.11.2\n"
        assert await client.bgapi("originate x") == "+OK abc\n"
        evt_conn = next(c for c in fake.conns if "filter Unique-ID u1" in c.commands)
        assert evt_conn.commands[1] == "event plain CHANNEL_ANSWER CUSTOM conference::maintenance"
        cmd_conn = next(c for c in fake.conns if c is not evt_conn)
        assert "event plain BACKGROUND_JOB" in cmd_conn.commands
        evt_conn.send(event_plain("CHANNEL_ANSWER", **{"Unique-ID": "u1"}))
        evt_conn.send(event_plain("CUSTOM", **{"Event-Subclass": "conference::maintenance"}))
        evt_conn.send(event_plain("CHANNEL_HANGUP"))
        for _ in range(200):
            if len(got) >= 2:
                break
            await asyncio.sleep(0.01)
        assert [e.name for e in got] == ["CHANNEL_ANSWER", "CUSTOM"]
    finally:
        await client.close()
    with pytest.raises(EslNotConnected):
        await client.api("version")


async def test_reconnect_replays_subscriptions_and_runs_callback(fake):
    client = EslClient("127.0.0.1", fake.port, "ClueCon", command_timeout=2)
    client.subscribe(["ALL"], lambda e: None, filters={"Event-Name": ["CHANNEL_ANSWER"]})
    resynced = asyncio.Event()

    async def resync(c):
        assert await c.api("version")
        resynced.set()

    client.on_reconnect(resync)
    await client.start()
    try:
        for conn in list(fake.conns):
            conn.close()
        await asyncio.wait_for(resynced.wait(), 5)
        evt_conns = [c for c in fake.conns if "event plain ALL" in c.commands]
        assert len(evt_conns) == 2
        assert evt_conns[1].commands[1:] == [
            "event plain ALL",
            "filter Event-Name CHANNEL_ANSWER",
            "nixevent API",
        ]
    finally:
        await client.close()


async def test_outbound_call_flow():
    calls = []

    async def handler(call):
        calls.append(call)
        done = await call.execute("playback", "tone_stream://L=2;%(500,250,620)")
        assert done["Application"] == "playback"
        assert (
            await call.play_and_get_digits(
                min_digits=1,
                max_digits=4,
                tries=2,
                timeout_ms=8000,
                terminators="#",
                prompt="silence_stream://250",
                invalid_prompt=None,
                var_name="pagd",
                regex=None,
                digit_timeout_ms=None,
            )
            == "123"
        )
        assert await call.api(f"uuid_getvar {call.uuid} x") == "hello"
        await call.hangup()
        await call.wait_hangup(timeout=2)

    server = OutboundServer("127.0.0.1", 0, handler, linger=5)
    port = await server.start()
    try:
        dialer = FakeDialer(port)
        assert await asyncio.to_thread(dialer.done.wait, 5)
    finally:
        await server.stop(1)
    assert calls and calls[0].uuid == CALL_UUID and calls[0].destination_number == "9110"
    sent = [c.split("\n")[0] for c in dialer.commands]
    assert sent[:3] == ["connect", "myevents plain", "linger 5"] and sent[-1] == "exit"
    pagd = next(c for c in dialer.commands if "play_and_get_digits" in c)
    assert "None" not in pagd and pagd.endswith(
        "1 4 2 8000 # silence_stream://250 silence_stream://250 pagd \\d+"
    )
    assert "Event-UUID: " in pagd

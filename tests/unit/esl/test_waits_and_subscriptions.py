"""Regressions found by the services' authors (design §2), against the scripted fake server.

1. ``subscribe()`` while the links are opening (after ``start(wait=False)``, before ``connected``) must
   be in effect once the event link is up, each line sent exactly once.
2. ``execute(wait=True)`` / ``wait_event`` must end promptly (EslCallHungUp) when the caller hangs up and
   the CHANNEL_EXECUTE_COMPLETE never comes, at CHANNEL_HANGUP or at the linger/disconnect notice.
"""

from __future__ import annotations

import asyncio
import threading

import pytest

from careline.core.esl import EslCallHungUp, EslClient, OutboundServer

from .doubles import CALL_UUID, FakeDialer, FakeEslServer, event_plain, reply


async def _until(predicate, timeout: float = 5.0) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not predicate():
        assert loop.time() < deadline, "condition not met in time"
        await asyncio.sleep(0.005)


def _count(conn, line: str) -> int:
    return conn.commands.count(line)


async def test_subscribe_while_links_open_is_sent_once_before_connected():
    """Bug 1: the setup is held on the wire; a subscription made meanwhile must still reach the link."""
    gate = threading.Event()
    held = threading.Event()

    def hold_setup(conn, cmd):
        if cmd == "event plain CHANNEL_ANSWER":  # the event link's first setup line
            held.set()
            gate.wait(5)
            conn.send(reply("+OK event listener enabled plain"))
            return True
        return False

    fake = FakeEslServer(on_command=hold_setup)
    client = EslClient("127.0.0.1", fake.port, "ClueCon", command_timeout=3)
    got = []
    client.subscribe(["CHANNEL_ANSWER"], got.append)
    try:
        await client.start(wait=False)
        await _until(held.is_set)
        assert not client.connected
        client.subscribe(["CHANNEL_HANGUP"], got.append, filters={"Unique-ID": ["u2"]})
        client.subscribe(["CHANNEL_ANSWER"], lambda e: None)  # nothing new to send
        gate.set()
        await _until(lambda: client.connected)
        evt = next(c for c in fake.conns if "event plain CHANNEL_ANSWER" in c.commands)
        # Everything is on the link by the time ``connected`` is true: no wait needed here.
        assert evt.commands[1:] == [
            "event plain CHANNEL_ANSWER",
            "event plain CHANNEL_HANGUP",
            "filter Unique-ID u2",
        ]
        client.subscribe(["CUSTOM conference::maintenance"], got.append, filters={"Unique-ID": ["u2", "u3"]})
        await _until(lambda: "filter Unique-ID u3" in evt.commands)
        assert _count(evt, "event plain CUSTOM conference::maintenance") == 1
        assert _count(evt, "filter Unique-ID u2") == 1
        evt.send(event_plain("CHANNEL_HANGUP", **{"Unique-ID": "u2"}))
        await _until(lambda: len(got) == 1)
        assert got[0].name == "CHANNEL_HANGUP"
    finally:
        gate.set()
        await client.close()
        fake.close()


async def test_reconnect_replays_every_subscription_once():
    fake = FakeEslServer()
    client = EslClient("127.0.0.1", fake.port, "ClueCon", command_timeout=3)
    client.subscribe(["CHANNEL_ANSWER"], lambda e: None, filters={"Unique-ID": ["u1"]})
    reconnected = asyncio.Event()

    async def on_reconnect(_client):
        reconnected.set()

    client.on_reconnect(on_reconnect)
    try:
        await client.start()
        client.subscribe(["CHANNEL_HANGUP"], lambda e: None, filters={"Unique-ID": ["u2"]})
        first = next(c for c in fake.conns if "event plain CHANNEL_ANSWER" in c.commands)
        await _until(lambda: "filter Unique-ID u2" in first.commands)
        for conn in list(fake.conns):
            conn.close()
        await asyncio.wait_for(reconnected.wait(), 5)
        second = [c for c in fake.conns if "event plain CHANNEL_ANSWER CHANNEL_HANGUP" in c.commands]
        assert len(second) == 1
        assert second[0].commands[1:] == [
            "event plain CHANNEL_ANSWER CHANNEL_HANGUP",
            "filter Unique-ID u1",
            "filter Unique-ID u2",
        ]
    finally:
        await client.close()
        fake.close()


LINGER_NOTICE = (
    b"Content-Type: text/disconnect-notice\nController-Session-UUID: "
    + CALL_UUID.encode()
    + b"\nContent-Disposition: linger\nLinger-Time: 5\nContent-Length: 0\n\n"
)


class HangingUpDialer(FakeDialer):
    """The caller hangs up during ``playback``: no CHANNEL_EXECUTE_COMPLETE, only the hang-up events.

    ``notice_only``: the linger notice without any CHANNEL_HANGUP (myevents lost it, or a filter).
    """

    def __init__(self, port: int, *, notice_only: bool = False):
        self.notice_only = notice_only
        super().__init__(port)

    def _answer(self, head: str, body: str) -> None:
        first = head.split("\n")[0]
        if first == "sendmsg" and "execute-app-name: playback" in head:
            self.commands.append(head)
            self._send(reply("+OK"))
            if not self.notice_only:
                self._send(event_plain("CHANNEL_HANGUP", **{"Unique-ID": CALL_UUID}))
                self._send(event_plain("CHANNEL_HANGUP_COMPLETE", **{"Unique-ID": CALL_UUID}))
            self._send(LINGER_NOTICE)
            return
        super()._answer(head, body)


@pytest.mark.parametrize("notice_only", [False, True], ids=["channel_hangup", "linger_notice"])
async def test_hangup_ends_pending_execute_and_waits(notice_only):
    """Bug 2: a pending execute, a pending wait_event and later waits all end with EslCallHungUp."""
    outcome: dict[str, object] = {}

    async def handler(call):
        pending = asyncio.ensure_future(call.wait_event("DTMF"))
        if not notice_only:
            complete = asyncio.ensure_future(call.wait_event("CHANNEL_HANGUP_COMPLETE"))
        try:
            await asyncio.wait_for(call.execute("playback", "/tmp/long.wav"), 5)
        except EslCallHungUp:
            outcome["execute"] = "hung_up"
        outcome["hung_up"] = call.hung_up
        with pytest.raises(EslCallHungUp):
            await asyncio.wait_for(pending, 5)
        if not notice_only:  # it follows CHANNEL_HANGUP on the wire, so it is delivered, not ended
            assert (await asyncio.wait_for(complete, 5)).name == "CHANNEL_HANGUP_COMPLETE"
        await asyncio.wait_for(call.wait_hangup(), 5)
        with pytest.raises(EslCallHungUp):  # already gone: no wait at all
            await asyncio.wait_for(call.wait_event("CHANNEL_EXECUTE_COMPLETE"), 5)
        with pytest.raises(EslCallHungUp):
            await asyncio.wait_for(call.play_and_get_digits(prompt="silence_stream://250"), 5)
        outcome["done"] = True

    server = OutboundServer("127.0.0.1", 0, handler, linger=5)
    port = await server.start()
    try:
        dialer = HangingUpDialer(port, notice_only=notice_only)
        assert await asyncio.to_thread(dialer.done.wait, 5)
    finally:
        await server.stop(1)
    assert outcome == {"execute": "hung_up", "hung_up": True, "done": True}

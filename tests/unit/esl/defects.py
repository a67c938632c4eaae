"""Scenarios for greenswitch defects 1–11 (design §2), run on plain greenswitch 0.0.19 or the adapter.

Run as ``python -m tests.unit.esl.defects <n> <greenswitch|adapter>``: exit status 0 means the correct
behaviour was seen. Each runs in its own process so a frozen hub (defect 1) or a send that never
returns (defect 2) is ended by the parent's hard timeout.
"""

from __future__ import annotations

import asyncio
import multiprocessing
import random
import sys
import threading
import time
import types

from .doubles import FakeDialer, FakeEslServer, api_response, event_plain, event_raw, reply

JOB_BODY = "-ERR nosuchcommand Command not found!\n"


# -- fake-server scripts, one per defect ---------------------------------------------------------------
def _after_subscribe(frames_fn):
    def on_command(conn, cmd):
        if cmd == "nixevent API":  # the last setup line of both clients here
            conn.send(reply("+OK events nixed"))
            frames_fn(conn)
            return True
        return False

    return on_command


def server_for(n: int) -> FakeEslServer:
    if n == 1:  # the stream stops 100 bytes into a 2000-byte event body

        def cut(conn):
            conn.send(
                b"Content-Length: 2000\nContent-Type: text/event-plain\n\n" + b"Event-Name: HEARTBEAT\n" * 5
            )
            time.sleep(0.05)
            conn.close()

        return FakeEslServer(on_command=_after_subscribe(cut))
    if n == 2:  # TCP drop while a command waits for its reply

        def drop(conn, cmd):
            if cmd == "api hang":
                conn.close()
                return True
            return False

        return FakeEslServer(on_command=drop)
    if n == 3:  # a slow reply that arrives after the caller gave up

        def slow(conn, cmd):
            if cmd == "api slow":
                conn.later(1.0, api_response("slow\n"))
                return True
            return False

        return FakeEslServer(on_command=slow, api={"fast": "fast\n"})
    if n == 4:
        return FakeEslServer(on_command=_after_subscribe(lambda c: c.send(reply("+OK unsolicited"))))
    if n == 5:
        body = b'{"Event-Name":"CHANNEL_ANSWER","Unique-ID":"u1","_body":"x"}'
        return FakeEslServer(
            on_command=_after_subscribe(lambda c: c.send(event_raw(body, "text/event-json")))
        )
    if n == 6:
        inner = b"Event-Name: CHANNEL_ANSWER\nvariable_x: a%0AEvent-Name%3A%20INJECTED\n\n"
        return FakeEslServer(on_command=_after_subscribe(lambda c: c.send(event_raw(inner))))
    if n == 7:
        return FakeEslServer(api={"nosuchcommand": JOB_BODY})
    if n == 8:
        return _flood_server_in_own_process()
    if n == 9:
        return FakeEslServer(on_connect=lambda conn: True)  # never sends auth/request
    if n == 11:

        def two(conn):
            conn.send(
                event_plain("CHANNEL_ANSWER")
                + event_plain("CUSTOM", **{"Event-Subclass": "conference::maintenance"})
            )

        return FakeEslServer(on_command=_after_subscribe(two))
    raise ValueError(n)


FLOOD = 3000


# -- plain greenswitch ----------------------------------------------------------------------------------
def _serve_flood(port_out) -> None:
    flood = b"".join(
        event_plain("HEARTBEAT", **{"Event-Sequence": str(i), "Pad": "x" * 2000}) for i in range(FLOOD)
    )
    server = FakeEslServer(on_command=_after_subscribe(lambda c: c.send(flood)))
    port_out.send(server.port)
    threading.Event().wait()


def _flood_server_in_own_process():
    """The flood comes from another process: a writer thread in the client's own process competes for
    the GIL, so the reader sometimes catches up with it and the backlog (defect 8) comes and goes."""
    ctx = multiprocessing.get_context("fork")
    port_in, port_out = ctx.Pipe(duplex=False)
    ctx.Process(target=_serve_flood, args=(port_out,), daemon=True).start()
    return types.SimpleNamespace(port=port_in.recv())


def run_greenswitch(n: int) -> None:
    import gevent
    from greenswitch.esl import InboundESL, OutboundESLServer

    if n == 10:

        class App:
            def __init__(self, session):
                self.session = session

            def run(self):
                gevent.sleep(0.01)

        import socket

        probe = socket.create_server(("127.0.0.1", 0))
        free_port = probe.getsockname()[1]
        probe.close()
        server = OutboundESLServer("127.0.0.1", [free_port], application=App)
        gevent.spawn(server.listen)
        gevent.sleep(0.2)
        port = server.server.getsockname()[1]
        _check_latency(port, gevent.sleep)
        return
    fake = server_for(n)
    esl = InboundESL("127.0.0.1", fake.port, "ClueCon", timeout=1)
    if n == 9:
        esl.connect()  # waits forever for auth/request
        return
    esl.connect()
    got = []
    esl.register_handle("*", got.append)
    if n == 11:
        custom = []
        esl.register_handle("CUSTOM", custom.append)
        esl.register_handle("CHANNEL_ANSWER", lambda e: None)
    if n == 8:
        marks = []

        def first(event):
            if not marks:
                marks.append(None)
                gevent.spawn_later(0, lambda: marks.append(len(got)))

        esl.register_handle("*", first)
    if n not in (2, 3, 7):
        esl.send("event plain ALL")
        esl.send("nixevent API")
    if n == 1:
        gevent.sleep(1.0)  # the reader spins on the cut body: this timer never fires
        assert not esl.connected
    elif n == 2:
        with gevent.Timeout(3):
            try:
                esl.send("api hang")
            except Exception:
                pass
    elif n == 3:
        try:
            with gevent.Timeout(0.3):
                esl.send("api slow")
        except gevent.Timeout:
            pass
        assert esl.send("api fast").data == "fast\n"
    elif n in (4, 5):
        gevent.sleep(0.3)
        with gevent.Timeout(2):
            esl.send("api version")
        if n == 5:
            assert got and got[0].headers.get("Event-Name") == "CHANNEL_ANSWER"
    elif n == 6:
        gevent.sleep(0.3)
        _check_injection(got[0].headers)
    elif n == 7:
        esl.send(f"bgapi nosuchcommand\nJob-UUID: {'j' * 8}")
        gevent.sleep(0.3)
        job = next(e for e in got if e.headers.get("Event-Name") == "BACKGROUND_JOB")
        assert job.headers["Content-Length"] == "38" and getattr(job, "body", None) == JOB_BODY
    elif n == 8:
        with gevent.Timeout(10):
            while len(got) < FLOOD:
                gevent.sleep(0.01)
        assert marks[1] < FLOOD // 2, f"timer starved until {marks[1]} of {FLOOD} events"
    elif n == 11:
        gevent.sleep(0.3)
        assert len(got) == 2 and len(custom) == 1, (len(got), len(custom))


def _check_injection(headers) -> None:
    assert headers["Event-Name"] == "CHANNEL_ANSWER", headers["Event-Name"]
    assert headers["variable_x"] == "a\nEvent-Name: INJECTED"


def _check_latency(port: int, sleep) -> None:
    """Mean accept→``connect`` delay of 15 calls arriving at random moments; polling adds ~50 ms."""
    delays = []
    for _ in range(15):
        sleep(random.uniform(0, 0.1))
        dialer = FakeDialer(port)
        while dialer.connected_at is None and time.perf_counter() - dialer.started_at < 2:
            sleep(0.001)
        delays.append((dialer.connected_at or 99) - dialer.started_at)
        dialer.sock.close()
    mean = sum(delays) / len(delays)
    assert mean < 0.025, f"mean accept→connect {mean * 1000:.1f} ms"


# -- the adapter ----------------------------------------------------------------------------------------
async def run_adapter(n: int) -> None:
    from careline.core.esl import EslClient, EslNotConnected, EslTimeout, OutboundServer

    if n == 10:
        server = OutboundServer("127.0.0.1", 0, lambda call: asyncio.sleep(0.01))
        port = await server.start()
        await asyncio.to_thread(_check_latency, port, time.sleep)
        await server.stop(2)
        return
    fake = server_for(n)
    client = EslClient("127.0.0.1", fake.port, "ClueCon", connect_timeout=0.5, command_timeout=2)
    got, custom, marks = [], [], []
    loop = asyncio.get_running_loop()

    def on_event(event):
        got.append(event)
        if n == 8 and not marks:
            marks.append(None)
            loop.call_later(0, lambda: marks.append(len(got)))

    if n not in (2, 3, 7, 9):
        client.subscribe(["ALL"], on_event)
    if n == 11:
        client.subscribe(["CUSTOM conference::maintenance"], custom.append)
        client.subscribe(["CHANNEL_ANSWER"], lambda e: None)
    try:
        if n == 9:
            try:
                await client.start()
            except EslTimeout:
                return
            raise AssertionError("start() did not time out")
        await client.start()
        if n == 1:
            for _ in range(300):
                if not client.connected:
                    return
                await asyncio.sleep(0.01)
            raise AssertionError("cut body not detected")
        elif n == 2:
            try:
                await client.api("hang")
            except EslNotConnected:
                return
            raise AssertionError("api on a dropped link returned")
        elif n == 3:
            try:
                await client.api("slow", timeout=0.3)
            except EslTimeout:
                pass
            async with asyncio.timeout(5):
                while client.generation < 2 or not client.connected:  # noqa: ASYNC110
                    await asyncio.sleep(0.02)
            assert await client.api("fast") == "fast\n"
        elif n in (4, 5):
            await asyncio.sleep(0.3)
            assert await client.api("version") == "+OK\n" and client.connected
            if n == 5:
                assert got and got[0].name == "CHANNEL_ANSWER" and got[0].body == "x"
        elif n == 6:
            await asyncio.sleep(0.3)
            _check_injection(got[0].headers)
        elif n == 7:
            assert await client.bgapi("nosuchcommand") == JOB_BODY
        elif n == 8:
            async with asyncio.timeout(10):
                while len(got) < FLOOD:  # noqa: ASYNC110
                    await asyncio.sleep(0.01)
            assert marks[1] < FLOOD // 2, f"timer starved until {marks[1]} of {FLOOD} events"
        elif n == 11:
            await asyncio.sleep(0.3)
            assert len(got) == 2 and len(custom) == 1, (len(got), len(custom))
    finally:
        await client.close()


def main() -> None:
    n, impl = int(sys.argv[1]), sys.argv[2]
    if impl == "greenswitch":
        run_greenswitch(n)
    else:
        asyncio.run(run_adapter(n))


if __name__ == "__main__":
    main()

"""ESL adapter benchmark (design §2): events/s and api round-trip, against a local fake server.

Run: ``python bench/esl_bench.py``. The fake server streams real FreeSWITCH 1.11.2 event frames from
../shared/fs-traces. Compared: a raw socket read of the stream, plain greenswitch 0.0.19 (its own
receive loop + a handler), and the adapter (events into an asyncio handler).
"""

from __future__ import annotations

import asyncio
import socket
import statistics
import sys
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from careline.core.esl import EslClient  # noqa: E402
from careline.core.esl.protocol import FrameParser  # noqa: E402
from tests.unit.esl.doubles import FakeEslServer, reply  # noqa: E402
from tests.unit.esl.traces import TRACES  # noqa: E402

N_EVENTS = 20000


def trace_events() -> list[bytes]:
    frames = []
    for recv in sorted(TRACES.glob("*.plain.recv")):
        frames += [
            f.raw for f in FrameParser().feed(recv.read_bytes()) if f.content_type == "text/event-plain"
        ]
    return frames


EVENTS = trace_events()
STREAM = b"".join(EVENTS[i % len(EVENTS)] for i in range(N_EVENTS))


def flood_server() -> FakeEslServer:
    def on_command(conn, cmd):
        if cmd == "nixevent API":
            conn.send(reply("+OK events nixed"))
            threading.Thread(target=conn.send, args=(STREAM,), daemon=True).start()
            return True
        return False

    return FakeEslServer(on_command=on_command)


def bench_raw() -> float:
    server = flood_server()
    sock = socket.create_connection(("127.0.0.1", server.port))
    sock.recv(100)
    sock.sendall(b"auth ClueCon\n\n")
    sock.recv(100)
    start = time.perf_counter()
    sock.sendall(b"nixevent API\n\n")
    total, need = 0, len(STREAM) + len(reply("+OK events nixed"))
    while total < need:
        total += len(sock.recv(1 << 20))
    elapsed = time.perf_counter() - start
    sock.close()
    server.close()
    return N_EVENTS / elapsed


def bench_greenswitch() -> float:
    result = []

    def run():  # its own gevent hub in its own thread
        import gevent
        from greenswitch.esl import InboundESL

        server = flood_server()
        esl = InboundESL("127.0.0.1", server.port, "ClueCon")
        esl.connect()
        count = [0]
        esl.register_handle("*", lambda event: count.__setitem__(0, count[0] + 1))
        start = time.perf_counter()
        esl.send("nixevent API")
        deadline = start + 30
        while count[0] < N_EVENTS and time.perf_counter() < deadline:
            gevent.sleep(0.005)
        result.append(count[0] / (time.perf_counter() - start))
        esl._run = False
        esl.sock.close()
        server.close()

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    thread.join(40)
    return result[0] if result else 0.0


async def bench_adapter() -> float:
    server = flood_server()
    client = EslClient("127.0.0.1", server.port, "ClueCon")
    count = 0
    done = asyncio.Event()

    def handler(event):
        nonlocal count
        count += 1
        if count == N_EVENTS:
            done.set()

    client.subscribe(["ALL"], handler)
    start = time.perf_counter()
    await client.start()  # the flood starts when the event link sends `nixevent API`
    await asyncio.wait_for(done.wait(), 30)
    rate = N_EVENTS / (time.perf_counter() - start)
    await client.close()
    server.close()
    return rate


async def bench_api(background_rate: int) -> tuple[float, float]:
    server = FakeEslServer(api={"status": "UP 0 years\n"})
    client = EslClient("127.0.0.1", server.port, "ClueCon")
    client.subscribe(["ALL"], lambda event: None)
    await client.start()
    stop = threading.Event()
    if background_rate:
        evt_conn = next(c for c in server.conns if "nixevent API" in c.commands)

        def stream():  # batches every 10 ms
            per_tick = background_rate // 100
            i = 0
            next_tick = time.perf_counter()
            while not stop.is_set():
                evt_conn.send(b"".join(EVENTS[(i + k) % len(EVENTS)] for k in range(per_tick)))
                i += per_tick
                next_tick += 0.01
                time.sleep(max(0.0, next_tick - time.perf_counter()))

        threading.Thread(target=stream, daemon=True).start()
        await asyncio.sleep(0.3)
    samples = []
    for _ in range(800):
        start = time.perf_counter()
        await client.api("status")
        samples.append((time.perf_counter() - start) * 1000)
    stop.set()
    await client.close()
    server.close()
    samples.sort()
    return statistics.median(samples), samples[int(len(samples) * 0.99)]


def main() -> None:
    raw = bench_raw()
    green = bench_greenswitch()
    adapter = asyncio.run(bench_adapter())
    idle = asyncio.run(bench_api(0))
    loaded = asyncio.run(bench_api(10000))
    avg = len(STREAM) / N_EVENTS
    print(f"events: {N_EVENTS} real trace frames, average {avg:.0f} bytes")
    print(f"{'path':<44}{'events/s':>12}{'vs raw':>10}")
    for name, rate in (
        ("raw socket read", raw),
        ("greenswitch 0.0.19 (own loop + handler)", green),
        ("adapter → asyncio handler", adapter),
    ):
        print(f"{name:<44}{rate:>12,.0f}{rate / raw:>10.2%}")
    print(f"adapter / greenswitch: {adapter / green:.2f}x" if green else "greenswitch: no result")
    print(f"{'api round-trip':<44}{'p50 ms':>12}{'p99 ms':>10}")
    print(f"{'idle':<44}{idle[0]:>12.3f}{idle[1]:>10.3f}")
    print(f"{'with 10k events/s on the event link':<44}{loaded[0]:>12.3f}{loaded[1]:>10.3f}")


if __name__ == "__main__":
    main()

"""The nats-server runner and the bus's never-give-up reconnection (design §4)."""

from __future__ import annotations

import asyncio

from careline.core.bus import Bus
from careline.core.natsserver import NatsServer


async def test_async_context_manager_starts_and_stops(tmp_path) -> None:
    async with NatsServer(tmp_path) as server:
        assert server.running and server.port > 0
        bus = await Bus.connect(server.url, name="t")
        assert bus.connected
        await bus.close()
    assert not server.running


def test_sync_api_and_own_temp_store_is_removed() -> None:
    server = NatsServer().start()
    store = server._store_dir
    assert store is not None and store.exists() and "Server is ready" in server.log
    server.stop()
    assert not store.exists() and not server.running
    server.stop()  # twice is fine


async def test_bus_reconnects_after_server_restart(tmp_path) -> None:
    first = NatsServer(tmp_path).start()
    port = first.port
    bus = await Bus.connect(first.url, name="t", reconnect_time_wait=0.1)
    try:
        assert bus.nc.options["max_reconnect_attempts"] == -1  # nats-py's default (60) gives up
        await asyncio.to_thread(first.stop)
        for _ in range(100):
            if not bus.connected:
                break
            await asyncio.sleep(0.05)
        assert not bus.connected  # /readyz turns false
        second = await asyncio.to_thread(NatsServer(tmp_path, port=port).start)
        try:
            for _ in range(200):
                if bus.connected:
                    break
                await asyncio.sleep(0.05)
            assert bus.connected
            kv = await bus.kv("after_restart")
            assert await kv.create("k", b"v") > 0
        finally:
            await bus.close()
            await asyncio.to_thread(second.stop)
    finally:
        first.stop()


async def test_first_connect_waits_for_a_late_server(tmp_path) -> None:
    probe = NatsServer(tmp_path).start()  # learn a free port, then free it
    port = probe.port
    probe.stop()
    late = NatsServer(tmp_path, port=port)

    async def start_late() -> None:
        await asyncio.sleep(0.5)
        await asyncio.to_thread(late.start)

    starter = asyncio.create_task(start_late())
    try:
        bus = await Bus.connect(f"nats://127.0.0.1:{port}", name="t", first_connect_timeout=10)
        assert bus.connected
        await bus.close()
    finally:
        await starter
        late.stop()

"""KV compare-and-set (design §3, §4): ownership hand-over is never ambiguous."""

from __future__ import annotations

import asyncio
import contextlib

import pytest

from careline.core.bus import Bus, Conflict
from careline.core.ids import uuid7


def _bucket() -> str:
    return "t_" + uuid7().replace("-", "")[-12:]


async def test_create_only_if_absent(bus: Bus) -> None:
    kv = await bus.kv(_bucket())
    rev = await kv.create("call1", b"ivr")
    with pytest.raises(Conflict):
        await kv.create("call1", b"acd")
    entry = await kv.get("call1")
    assert entry is not None and entry.value == b"ivr" and entry.revision == rev


async def test_update_is_compare_and_set(bus: Bus) -> None:
    kv = await bus.kv(_bucket())
    rev1 = await kv.create("call1", b"ivr")
    rev2 = await kv.update("call1", b"acd", rev1)
    assert rev2 > rev1
    with pytest.raises(Conflict):
        await kv.update("call1", b"billing", rev1)  # stale revision loses
    assert (await kv.get("call1")).value == b"acd"


async def test_delete_then_create_again_and_conditional_delete(bus: Bus) -> None:
    kv = await bus.kv(_bucket())
    rev = await kv.create("k", b"1")
    with pytest.raises(Conflict):
        await kv.delete("k", revision=rev + 100)
    await kv.delete("k", revision=rev)
    assert await kv.get("k") is None
    await kv.create("k", b"2")  # a deleted key can be created again
    assert (await kv.get("k")).value == b"2"
    assert await kv.keys() == ["k"]


async def test_get_missing_is_none(bus: Bus) -> None:
    kv = await bus.kv(_bucket())
    assert await kv.get("nope") is None
    assert await kv.keys() == []


async def test_200_concurrent_cas_races_have_exactly_one_winner_each_round(bus: Bus, nats_url: str) -> None:
    """Design §4 measured 500 races, one winner each; here 200 racers over several connections, 5 rounds."""
    name = _bucket()
    kv0 = await bus.kv(name)
    others = [await Bus.connect(nats_url, name=f"racer{i}") for i in range(3)]
    try:
        kvs = [kv0] + [await b.kv(name) for b in others]
        revision = await kv0.create("owner", b"none")
        for round_no in range(5):

            async def race(i: int, rev: int = revision, rnd: int = round_no) -> int | None:
                try:
                    return await kvs[i % len(kvs)].update("owner", f"r{rnd}-{i}".encode(), rev)
                except Conflict:
                    return None

            results = await asyncio.gather(*(race(i) for i in range(200)))
            winners = [(i, r) for i, r in enumerate(results) if r is not None]
            assert len(winners) == 1, f"round {round_no}: {len(winners)} winners"
            winner, revision = winners[0]
            entry = await kv0.get("owner")
            assert entry.value == f"r{round_no}-{winner}".encode() and entry.revision == revision
    finally:
        for b in others:
            await b.close()


async def test_watch_sees_current_values_changes_and_deletes(bus: Bus) -> None:
    kv = await bus.kv(_bucket())
    await kv.put("a", b"1")
    seen = []
    async with contextlib.aclosing(kv.watch()) as updates:

        async def collect() -> None:
            async for entry in updates:
                seen.append((entry.key, entry.value))
                if len(seen) == 3:
                    return

        task = asyncio.create_task(collect())
        await asyncio.sleep(0.1)
        await kv.put("b", b"2")
        await kv.delete("a")
        await asyncio.wait_for(task, 5)
    assert seen == [("a", b"1"), ("b", b"2"), ("a", None)]

"""The CAS reservation between replicas (design §4, issue 3 "Replicas") on an in-memory KV: two
distributors that both see agent ``a1`` available and each have a caller ring it at most once between
them; the loser gives its caller to its next agent."""

from __future__ import annotations

from careline.acd.cluster.agents import AgentBoard
from careline.acd.cluster.records import AgentRecord
from careline.acd.domain.queue import QueueConfig, WaitingCall
from careline.acd.domain.routing import Distributor
from careline.core.bus import Conflict
from tests.unit.acd.fakes import FakeClock, FakeNotifier, FakeSwitch


class Entry:
    def __init__(self, key, value, revision):
        self.key, self.value, self.revision = key, value, revision


class MemoryKv:
    def __init__(self) -> None:
        self.data: dict[str, Entry] = {}
        self.seq = 0

    async def get(self, key):
        return self.data.get(key)

    async def create(self, key, value):
        if key in self.data:
            raise Conflict("kv", key, "exists")
        return self._put(key, value)

    async def update(self, key, value, revision):
        if key not in self.data or self.data[key].revision != revision:
            raise Conflict("kv", key, "revision")
        return self._put(key, value)

    def _put(self, key, value):
        self.seq += 1
        self.data[key] = Entry(key, value, self.seq)
        return self.seq


def replica(kv, name, switch):
    d = Distributor(switch, FakeNotifier(), clock=FakeClock())
    d.configure_queue(QueueConfig("care"))
    for agent_id, ext in (("a1", "1001"), ("a2", "1002")):
        d.put_agent(agent_id, agent_id, ext)
    board = AgentBoard(kv, d, name, wall=lambda: 0.0)
    d.may_offer, d.reserve = board.may_offer, board.reserve
    return d, board


async def test_two_replicas_race_for_one_agent_and_exactly_one_rings_them():
    kv, switch = MemoryKv(), FakeSwitch()
    a, board_a = replica(kv, "A", switch)
    b, board_b = replica(kv, "B", switch)
    a.log_in("a1")
    await board_a.publish_changes()
    for board in (board_a, board_b):  # both watches deliver a1 available
        entry = await kv.get("a1")
        board.apply("a1", entry.value, entry.revision)
    assert b.agent("a1").state.value == "available"  # mirrored from A's log-in
    switch.live |= {"c1", "c2"}
    await a.enqueue(WaitingCall("c1", "1", 0.0), "care")
    await b.enqueue(WaitingCall("c2", "2", 0.0), "care")
    await a.drain()
    await b.drain()
    rung = [o.agent.id for o in switch.originated]
    assert rung == ["a1"]  # one originate to a1, from one instance only
    record = AgentRecord.decode((await kv.get("a1")).value)
    assert record.state == "ringing" and record.call in ("c1", "c2")
    loser = b if record.instance == "A" else a
    assert loser.agent("a1").state.value == "available"  # put back, not offered again
    assert not loser.may_offer("a1")


async def test_an_agent_never_seen_available_in_the_bucket_is_not_offered():
    kv, switch = MemoryKv(), FakeSwitch()
    a, _board = replica(kv, "A", switch)
    a.log_in("a1")  # not yet published
    switch.live.add("c1")
    await a.enqueue(WaitingCall("c1", "1", 0.0), "care")
    await a.drain()
    assert switch.originated == []

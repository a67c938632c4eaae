"""Queue strategies, multi-queue priority and expert seats, through the distributor (R-ACD1, R-ACD7)."""

import asyncio

import pytest

from careline.acd.domain.agents import AgentState
from careline.acd.domain.queue import QueueConfig, Strategy, WaitingCall
from careline.acd.domain.routing import Distributor

from .fakes import FakeClock, FakeNotifier, FakeSwitch


@pytest.fixture
def switch():
    return FakeSwitch()


@pytest.fixture
def clock():
    return FakeClock()


def _acd(switch, clock, strategy=Strategy.LONGEST_IDLE, n=3, **cfg) -> Distributor:
    d = Distributor(switch, FakeNotifier(), clock=clock, day=lambda: "2025-01-01")
    d.configure_queue(QueueConfig("general", strategy=strategy, **cfg))
    for i in range(n):
        d.put_agent(f"a{i + 1}", f"Agent {i + 1}", f"100{i + 1}")
    return d


async def _call(acd, switch, uuid, queue="general", number=None, **kw):
    switch.live.add(uuid)
    return await acd.enqueue(WaitingCall(uuid, number or f"+86{uuid}", 0.0, **kw), queue)


async def _log_in_all(acd, clock, order=("a1", "a2", "a3")):
    for agent_id in order:
        acd.log_in(agent_id)
        clock.now += 1


async def _end(acd, call_uuid, clock, seconds=10):
    clock.now += seconds
    acd.on_hangup(call_uuid)
    await acd.drain()


async def test_round_robin_takes_turns_whoever_was_idle_longest(switch, clock):
    acd = _acd(switch, clock, Strategy.ROUND_ROBIN)
    await _log_in_all(acd, clock, ("a3", "a2", "a1"))  # a3 idle longest: round robin ignores that
    served = []
    for i in range(4):
        await _call(acd, switch, f"c{i}")
        await acd.drain()
        served.append(acd.bridged[f"c{i}"].agent_id)
        await _end(acd, f"c{i}", clock)
    assert served == ["a1", "a2", "a3", "a1"]


async def test_ring_all_rings_every_free_agent_and_the_first_answer_wins(switch, clock):
    acd = _acd(switch, clock, Strategy.RING_ALL)
    await _log_in_all(acd, clock)
    for ext in ("1001", "1002", "1003"):
        switch.ring_gate[ext] = asyncio.Event()
    await _call(acd, switch, "c1")
    await asyncio.sleep(0)
    assert sorted(o.agent.id for o in switch.originated) == ["a1", "a2", "a3"]
    assert all(acd.agent(a).state is AgentState.RINGING for a in ("a1", "a2", "a3"))
    switch.ring_gate["1002"].set()
    for _ in range(5):
        await asyncio.sleep(0)
    assert acd.bridged["c1"].agent_id == "a2"
    assert acd.agent("a1").state is acd.agent("a3").state is AgentState.AVAILABLE
    losers = {o.leg_uuid for o in switch.originated if o.agent.id != "a2"}
    assert losers <= set(switch.killed)
    for gate in switch.ring_gate.values():
        gate.set()
    await acd.drain()
    assert acd.agent("a1").missed == 0 and len(switch.bridges) == 1


async def test_fewest_calls_today(switch, clock):
    acd = _acd(switch, clock, Strategy.FEWEST_CALLS, n=2)
    await _log_in_all(acd, clock, ("a1", "a2"))
    acd.agent("a1").workload.roll("2025-01-01")
    acd.agent("a1").workload.calls_today = 3  # a1 idle longest, but busier today
    await _call(acd, switch, "c1")
    await acd.drain()
    assert acd.bridged["c1"].agent_id == "a2"


async def test_skills_best_match_then_widening_after_the_wait(switch, clock):
    acd = _acd(switch, clock, Strategy.SKILLS, n=2, widen_after_s=30)
    acd.put_agent("a1", "Junior", "1001", skills={"cardiology": 1})
    acd.put_agent("a2", "Senior", "1002", skills={"cardiology": 4})
    await _log_in_all(acd, clock, ("a1",))
    await _call(acd, switch, "c1", skills={"cardiology": 3})
    await acd.drain()
    assert switch.originated == [] and "c1" in acd.queue  # the junior agent is not enough yet
    clock.now += 31
    acd.tick()
    assert switch.originated == []  # asked level 2 now: still too high for level 1
    clock.now += 30
    acd.tick()
    await acd.drain()
    assert acd.bridged["c1"].agent_id == "a1"  # widened to level 1 after 60 s


async def test_skills_prefers_the_best_skilled_agent(switch, clock):
    acd = _acd(switch, clock, Strategy.SKILLS, n=2)
    acd.put_agent("a1", "Junior", "1001", skills={"cardiology": 3})
    acd.put_agent("a2", "Senior", "1002", skills={"cardiology": 5})
    await _log_in_all(acd, clock, ("a1", "a2"))
    await _call(acd, switch, "c1", skills={"cardiology": 3})
    await acd.drain()
    assert acd.bridged["c1"].agent_id == "a2"


async def test_sticky_returning_caller_waits_briefly_for_their_last_agent(switch, clock):
    acd = _acd(switch, clock, Strategy.STICKY, n=2, sticky_wait_s=10)
    await _log_in_all(acd, clock, ("a2", "a1"))
    await _call(acd, switch, "first", number="+8613")
    await acd.drain()
    assert acd.bridged["first"].agent_id == "a2"
    await _end(acd, "first", clock)
    await _call(acd, switch, "busy", number="+8699")  # a1 (longest idle) takes someone else
    await acd.drain()
    assert acd.bridged["busy"].agent_id == "a1"
    await _call(acd, switch, "again", number="+8613")
    await acd.drain()
    assert acd.bridged["again"].agent_id == "a2"  # back to the agent who served them
    await _end(acd, "again", clock)
    # a2 busy with a new caller: the returning caller waits for a2 while a1 idles, then takes a1.
    await _end(acd, "busy", clock)
    acd.agent("a1").take_break("coffee")
    await _call(acd, switch, "other", number="+8677")
    await acd.drain()
    acd.make_available("a1")
    await _call(acd, switch, "third", number="+8613")
    await acd.drain()
    assert "third" in acd.queue and acd.agent("a1").state is AgentState.AVAILABLE
    clock.now += 11
    acd.tick()
    await acd.drain()
    assert acd.bridged["third"].agent_id == "a1"


async def test_sticky_caller_does_not_wait_for_an_agent_on_a_break(switch, clock):
    acd = _acd(switch, clock, Strategy.STICKY, n=2, sticky_wait_s=10)
    await _log_in_all(acd, clock, ("a2", "a1"))
    await _call(acd, switch, "first", number="+8613")
    await acd.drain()
    assert acd.bridged["first"].agent_id == "a2"
    await _end(acd, "first", clock)
    acd.agent("a2").take_break("ward round")
    await _call(acd, switch, "again", number="+8613")
    await acd.drain()
    assert acd.bridged["again"].agent_id == "a1"  # no wait: the last agent is away, not busy


async def test_priority_across_queues_and_no_idle_agent_while_a_caller_waits(switch, clock):
    acd = _acd(switch, clock, n=1)
    acd.configure_queue(QueueConfig("billing"))
    await _call(acd, switch, "normal", queue="general")
    clock.now += 1
    await _call(acd, switch, "vip", queue="billing", vip=True)
    clock.now += 1
    await _call(acd, switch, "urgent", queue="general", priority=2)
    served = []
    acd.log_in("a1")
    for _ in range(3):
        await acd.drain()
        call = next(iter(acd.bridged))
        served.append(call)
        await _end(acd, call, clock, 1)
    assert served == ["urgent", "vip", "normal"]


async def test_agents_serve_only_their_queues(switch, clock):
    acd = _acd(switch, clock, n=2)
    acd.configure_queue(QueueConfig("billing"))
    acd.put_agent("a1", "Ann", "1001", queues=["billing"])
    await _log_in_all(acd, clock, ("a1",))
    await _call(acd, switch, "c1", queue="general")
    await acd.drain()
    assert switch.originated == []
    acd.log_in("a2")
    await acd.drain()
    assert acd.bridged["c1"].agent_id == "a2"


async def test_expert_seat_takes_only_the_expert_queue_and_vips(switch, clock):
    acd = _acd(switch, clock, n=1)
    acd.configure_queue(QueueConfig("expert", expert=True))
    acd.put_agent("a1", "Dr Li", "1001", expert=True)
    acd.log_in("a1")
    await _call(acd, switch, "normal", queue="general")
    await acd.drain()
    assert switch.originated == []
    await _call(acd, switch, "vip", queue="general", vip=True)
    await acd.drain()
    assert acd.bridged["vip"].agent_id == "a1"
    await _end(acd, "vip", clock)
    await _call(acd, switch, "paid", queue="expert")
    await acd.drain()
    assert acd.bridged["paid"].agent_id == "a1" and "normal" in acd.queue


async def test_max_length_refuses_with_queue_full(switch, clock):
    acd = _acd(switch, clock, max_length=1)
    assert (await _call(acd, switch, "c1")).accepted
    second = await _call(acd, switch, "c2")
    assert (second.accepted, second.reason) == (False, "queue_full")

"""Wrap-up, auto-break, reject delay and workload (R-ACD6); announcements and overflow (R-ACD1, R-IVR5)."""

import pytest

from careline.acd.domain.agents import NO_ANSWER, AgentState
from careline.acd.domain.queue import GOODBYE, QueueConfig, WaitingCall
from careline.acd.domain.routing import Distributor, OriginateOutcome

from .fakes import FakeClock, FakeNotifier, FakeSwitch


@pytest.fixture
def switch():
    return FakeSwitch()


@pytest.fixture
def clock():
    return FakeClock()


def _acd(switch, clock, n=2, max_missed=1, reject_delay_s=0.0, **cfg) -> Distributor:
    d = Distributor(switch, FakeNotifier(), clock=clock, max_missed=max_missed, reject_delay_s=reject_delay_s)
    d.configure_queue(QueueConfig("general", **cfg))
    for i in range(n):
        d.put_agent(f"a{i + 1}", f"Agent {i + 1}", f"100{i + 1}")
    return d


async def _call(acd, switch, uuid, queue="general"):
    switch.live.add(uuid)
    return await acd.enqueue(WaitingCall(uuid, "+86", 0.0), queue)


async def test_wrap_up_then_available_and_the_agent_may_extend_it(switch, clock):
    acd = _acd(switch, clock, n=1, wrap_up_s=20)
    acd.log_in("a1")
    await _call(acd, switch, "c1")
    await acd.drain()
    clock.now += 60
    acd.on_hangup("c1")
    await _call(acd, switch, "c2")
    assert acd.agent("a1").state is AgentState.WRAP_UP and "c2" in acd.queue
    acd.extend_wrap_up("a1", 30)
    clock.now += 25
    acd.tick()
    assert acd.agent("a1").state is AgentState.WRAP_UP  # 20 + 30 s now
    clock.now += 26
    acd.tick()
    await acd.drain()
    assert acd.bridged["c2"].agent_id == "a1"
    work = acd.agent("a1").workload
    assert (work.calls, work.talk_s, work.wrap_s) == (1, 60, 51)


async def test_auto_break_after_n_missed_offers_with_a_reject_delay_between(switch, clock):
    acd = _acd(switch, clock, n=1, max_missed=2, reject_delay_s=10)
    switch.answers["1001"] = [OriginateOutcome(False, "USER_BUSY")]
    acd.log_in("a1")
    await _call(acd, switch, "c1")
    await acd.drain()
    a1 = acd.agent("a1")
    assert (a1.state, a1.missed, len(switch.originated)) == (AgentState.AVAILABLE, 1, 1)
    clock.now += 5
    acd.tick()
    await acd.drain()
    assert len(switch.originated) == 1  # still within the reject delay
    clock.now += 6
    acd.tick()
    await acd.drain()
    assert len(switch.originated) == 2
    assert (a1.state, a1.break_reason, a1.workload.missed) == (AgentState.ON_BREAK, NO_ANSWER, 2)


async def test_hold_time_counts_in_the_workload(switch, clock):
    acd = _acd(switch, clock, n=1)
    acd.log_in("a1")
    await _call(acd, switch, "c1")
    await acd.drain()
    a1 = acd.agent("a1")
    a1.hold(clock.now)
    clock.now += 7
    a1.unhold(clock.now)
    clock.now += 3
    acd.on_hangup("c1")
    assert (a1.workload.hold_s, a1.workload.talk_s) == (7, 10)


async def test_announcements_give_position_and_estimated_wait(switch, clock):
    acd = _acd(switch, clock, n=0, announce_every_s=30, mean_handle_s=120)
    acd.put_agent("a1", "A", "1001")
    await _call(acd, switch, "c1")
    await _call(acd, switch, "c2")
    acd.tick()
    await acd.drain()
    assert switch.announced == []
    clock.now += 30
    acd.tick()
    await acd.drain()
    assert switch.announced == [("c1", 1, 120.0), ("c2", 2, 240.0)]
    clock.now += 10
    acd.tick()
    await acd.drain()
    assert len(switch.announced) == 2  # not again before another 30 s


async def test_overflow_on_max_wait_to_another_queue_keeps_the_caller(switch, clock):
    acd = _acd(switch, clock, n=1, max_wait_s=60, overflow="backup")
    acd.configure_queue(QueueConfig("backup"))
    acd.put_agent("a1", "A", "1001", queues=["backup"])
    await _call(acd, switch, "c1")
    clock.now += 61
    acd.tick()
    await acd.drain()
    assert "c1" in acd.queues["backup"] and "c1" not in acd.queues["general"]
    acd.log_in("a1")
    await acd.drain()
    assert acd.bridged["c1"].agent_id == "a1"
    assert acd.queues["general"].stats.overflowed == 1 and acd.queues["backup"].stats.answered == 1


async def test_overflow_to_goodbye_when_no_agent_is_logged_in(switch, clock):
    acd = _acd(switch, clock, n=1, overflow=GOODBYE, overflow_when_no_agents=True)
    await _call(acd, switch, "c1")
    await acd.drain()
    assert switch.goodbyes == ["c1"] and len(acd.queue) == 0 and acd.stats.overflowed == 1
    acd.log_in("a1")
    await _call(acd, switch, "c2")
    await acd.drain()
    assert switch.goodbyes == ["c1"] and acd.bridged["c2"].agent_id == "a1"

"""The distributor (design §3; R-ACD1, R-ACD6), driven through a fake switch."""

import asyncio

import pytest

from careline.acd.domain.agents import NO_ANSWER, AgentState
from careline.acd.domain.queue import QueueConfig, WaitingCall
from careline.acd.domain.routing import Distributor, OriginateOutcome

from .fakes import FakeClock, FakeNotifier, FakeSwitch


@pytest.fixture
def switch():
    return FakeSwitch()


@pytest.fixture
def clock():
    return FakeClock()


@pytest.fixture
def acd(switch, clock):
    d = Distributor(switch, FakeNotifier(), clock=clock)
    d.configure_queue(QueueConfig("general", no_answer_timeout_s=5))
    for i, ext in enumerate(("1001", "1002", "1003")):
        d.put_agent(f"a{i + 1}", f"Agent {i + 1}", ext)
    return d


async def _call(acd, switch, uuid, number="+861", vip=False):
    switch.live.add(uuid)
    return await acd.enqueue(WaitingCall(uuid, number, 0.0, vip=vip), "general")


async def test_unknown_queue_is_refused(acd, switch):
    switch.live.add("c1")
    result = await acd.enqueue(WaitingCall("c1", "1", 0.0), "nope")
    assert (result.accepted, result.reason) == (False, "queue_unknown")


async def test_waits_with_music_until_an_agent_logs_in(acd, switch, clock):
    result = await _call(acd, switch, "c1")
    assert (result.accepted, result.position) == (True, 1)
    assert switch.held == ["c1"] and switch.originated == []
    clock.now += 7
    acd.log_in("a2")
    await acd.drain()
    assert switch.bridges == [("c1", switch.originated[0].leg_uuid)]
    assert acd.agent("a2").state is AgentState.ON_CALL
    assert (acd.stats.answered, acd.stats.max_wait_s) == (1, 7)


async def test_longest_idle_agent_gets_the_call_and_screen_pop_comes_first(acd, switch, clock):
    acd.log_in("a1")
    clock.now += 1
    acd.log_in("a2")
    await _call(acd, switch, "c1")
    await acd.drain()
    assert [o.agent.id for o in acd.notifier.offers] == ["a1"]
    assert acd.bridged["c1"].agent_id == "a1"


async def test_no_answer_breaks_agent_and_next_agent_gets_same_caller_first(acd, switch, clock):
    switch.answers["1001"] = [OriginateOutcome(False, "NO_ANSWER")]
    acd.log_in("a1")
    await _call(acd, switch, "c1")
    clock.now += 1
    await _call(acd, switch, "c2")  # c2 waits behind c1
    await acd.drain()  # a1's phone rings out
    clock.now += 1
    acd.log_in("a2")
    await acd.drain()
    a1 = acd.agent("a1")
    assert (a1.state, a1.break_reason) == (AgentState.ON_BREAK, NO_ANSWER)
    assert acd.bridged["c1"].agent_id == "a2"
    assert "c2" in acd.queue and acd.queue.position("c2") == 1


async def test_caller_hang_up_while_waiting_is_abandoned(acd, switch, clock):
    await _call(acd, switch, "c1")
    clock.now += 4
    acd.on_hangup("c1", "NORMAL_CLEARING")
    acd.on_hangup("c1", "NORMAL_CLEARING")  # a repeated event is harmless
    assert (acd.stats.abandoned, acd.stats.max_wait_s, len(acd.queue)) == (1, 4, 0)


async def test_caller_hang_up_while_agent_rings_kills_the_leg(acd, switch):
    switch.ring_gate["1001"] = asyncio.Event()
    acd.log_in("a1")
    await _call(acd, switch, "c1")
    await asyncio.sleep(0)
    leg = acd.agent("a1").leg_uuid
    assert acd.agent("a1").state is AgentState.RINGING
    acd.on_hangup("c1")
    await asyncio.sleep(0)
    assert leg in switch.killed
    assert acd.agent("a1").state is AgentState.AVAILABLE
    switch.ring_gate["1001"].set()  # the phone answers too late
    await acd.drain()
    assert switch.bridges == [] and acd.agent("a1").state is AgentState.AVAILABLE
    assert acd.stats.abandoned == 1


async def test_end_of_bridged_call_frees_agent_and_serves_next(acd, switch, clock):
    acd.log_in("a1")
    await _call(acd, switch, "c1")
    await acd.drain()
    await _call(acd, switch, "c2")
    assert acd.queue.position("c2") == 1
    leg = acd.bridged["c1"].leg_uuid
    clock.now += 30
    acd.on_hangup(leg, "NORMAL_CLEARING")  # the agent hangs up first
    await acd.drain()
    assert "c1" in switch.killed
    assert acd.bridged["c2"].agent_id == "a1"
    assert acd.stats.handled_by_agent == {"a1": 2}
    assert acd.agent("a1").handled == 1


async def test_no_agent_gets_two_calls(acd, switch):
    acd.log_in("a1")
    for i in range(3):
        await _call(acd, switch, f"c{i}")
    await acd.drain()
    assert len(acd.bridged) == 1 and len(switch.originated) == 1


async def test_vip_jumps_the_line(acd, switch):
    await _call(acd, switch, "c1")
    await _call(acd, switch, "vip", vip=True)
    acd.log_in("a1")
    await acd.drain()
    assert "vip" in acd.bridged


async def test_call_gone_before_hold_is_refused(acd):
    result = await acd.enqueue(WaitingCall("ghost", "1", 0.0), "general")
    assert (result.accepted, result.reason) == (False, "call_gone")
    assert acd.stats.abandoned == 1


async def test_resync_drops_calls_that_ended_during_a_gap(acd, switch):
    acd.log_in("a1")
    await _call(acd, switch, "c1")
    await acd.drain()
    await _call(acd, switch, "c2")
    switch.live -= {"c1", "c2"}
    gone = await acd.resync()
    await acd.drain()
    assert set(gone) >= {"c1", "c2"}
    assert acd.agent("a1").state is AgentState.AVAILABLE and len(acd.queue) == 0


async def test_repeated_enqueue_is_one_caller(acd, switch):
    await _call(acd, switch, "c1")
    again = await _call(acd, switch, "c1")
    assert again.accepted and len(acd.queue) == 1 and acd.stats.offered == 1


async def test_a_caller_gone_unseen_is_abandoned_when_the_bridge_fails_not_offered_forever(acd, switch):
    """The caller hung up while the IVR was handing the call over: the hangup came before the ACD owned
    the call, so it never saw it. The agent answers, the bridge is refused; the ACD finds the caller gone
    and ends the wait (the loadgen once rang the same agent for a dead caller for 30 s)."""
    acd.log_in("a1")
    await _call(acd, switch, "c1")
    switch.live.discard("c1")  # gone, and no hangup reached the ACD
    await acd.drain()
    assert len(switch.originated) == 1 and switch.bridges == []
    assert acd.queue_of("c1") is None and acd.stats.abandoned == 1
    assert acd.agent("a1").state is AgentState.AVAILABLE


async def test_a_refused_bridge_to_a_caller_still_there_offers_them_again(acd, switch):
    acd.log_in("a1")
    await _call(acd, switch, "c1")
    real_bridge, refusals = switch.bridge, [False]

    async def bridge_once_refused(call_uuid, leg_uuid):
        return refusals.pop() if refusals else await real_bridge(call_uuid, leg_uuid)

    switch.bridge = bridge_once_refused
    await acd.drain()
    await acd.drain()
    assert len(switch.originated) == 2 and switch.bridges == [("c1", switch.originated[1].leg_uuid)]

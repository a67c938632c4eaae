"""Agents rung outside the ACD (issue 8 part 5, R-ACD6), from the switch's channel events: busy while the
leg lives, free (and offered the next caller) when it ends; idempotent; the ACD's own legs are ignored."""

import pytest

from careline.acd.domain.agents import AgentState
from careline.acd.domain.outside import OutsideCalls
from careline.acd.domain.queue import QueueConfig, WaitingCall
from careline.acd.domain.routing import Distributor

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
    d.put_agent("a1", "Ann", "2001")
    d.log_in("a1")
    return d


@pytest.fixture
def outside(acd):
    return OutsideCalls(acd)


def _leg(uuid="x1", direction="outbound", **headers):
    return {"Unique-ID": uuid, "Call-Direction": direction, **headers}


@pytest.mark.parametrize(
    "headers",
    [
        {"variable_dialed_user": "2001", "Caller-Destination-Number": "sip:2001@10.0.0.5:5060"},
        {"Caller-Destination-Number": "2001"},
        {"Caller-Destination-Number": "sip:2001@10.0.0.5:5060"},
        {"variable_sip_to_user": "2001"},
    ],
)
async def test_an_outbound_leg_to_the_agents_phone_makes_them_busy_until_it_ends(
    acd, outside, switch, headers
):
    outside.on_event("CHANNEL_CREATE", _leg(**headers))
    assert acd.agent("a1").outside_legs == {"x1"}
    assert not acd.agent("a1").can_take_call(acd.clock())
    switch.live.add("c1")
    await acd.enqueue(WaitingCall("c1", "139", 0.0), "general")
    await acd.drain()
    assert switch.originated == []  # the caller waits: a1's phone is busy
    outside.on_event("CHANNEL_HANGUP_COMPLETE", _leg())
    await acd.drain()
    assert [o.agent.id for o in switch.originated] == ["a1"]  # offered as soon as the phone is free


def test_repeated_events_are_one_leg_and_answer_stands_in_for_a_missed_create(acd, outside, clock):
    outside.on_event("CHANNEL_ANSWER", _leg(**{"Caller-Destination-Number": "2001"}))
    outside.on_event("CHANNEL_CREATE", _leg(**{"Caller-Destination-Number": "2001"}))
    outside.on_event("CHANNEL_ANSWER", _leg(**{"Caller-Destination-Number": "2001"}))
    assert outside.legs == {"x1": "a1"} and acd.agent("a1").outside_legs == {"x1"}
    clock.now += 30
    outside.on_event("CHANNEL_HANGUP", _leg())
    outside.on_event("CHANNEL_HANGUP_COMPLETE", _leg())
    agent = acd.agent("a1")
    assert outside.legs == {} and agent.outside_legs == set()
    assert agent.can_take_call(clock.now) and agent.idle_since == clock.now  # idle from the call's end


def test_two_outside_legs_keep_the_agent_busy_until_both_end(acd, outside):
    outside.on_event("CHANNEL_CREATE", _leg("x1", **{"Caller-Destination-Number": "2001"}))
    outside.on_event("CHANNEL_CREATE", _leg("x2", **{"Caller-Destination-Number": "2001"}))
    outside.on_event("CHANNEL_HANGUP_COMPLETE", _leg("x1"))
    assert not acd.agent("a1").can_take_call(acd.clock())
    outside.on_event("CHANNEL_HANGUP_COMPLETE", _leg("x2"))
    assert acd.agent("a1").can_take_call(acd.clock())


def test_a_call_placed_from_the_agents_phone_makes_them_busy(acd, outside):
    outside.on_event("CHANNEL_CREATE", _leg("in1", "inbound", variable_user_name="2001"))
    assert acd.agent("a1").outside_legs == {"in1"}


@pytest.mark.parametrize(
    "headers",
    [
        # The ACD's own legs: offers, consultations, eavesdrops… carry careline_leg (legs.py).
        {"Caller-Destination-Number": "2001", "variable_careline_leg": "offer"},
        # Another extension, a caller dialling the hotline, a caller whose number looks like an extension.
        {"Caller-Destination-Number": "2002"},
        {"Call-Direction": "inbound", "Caller-Destination-Number": "2001", "Caller-Caller-ID-Number": "2001"},
    ],
)
def test_legs_that_are_not_an_outside_call_to_an_agent_are_ignored(acd, outside, headers):
    outside.on_event("CHANNEL_CREATE", {**_leg(), **headers})
    assert outside.legs == {} and acd.agent("a1").can_take_call(acd.clock())


def test_the_agents_current_acd_leg_is_ignored(acd, outside):
    agent = acd.agent("a1")
    agent.offer("c1", "acd-leg")
    outside.on_event("CHANNEL_ANSWER", _leg("acd-leg", **{"Caller-Destination-Number": "2001"}))
    assert outside.legs == {}


def test_an_agent_on_break_stays_on_break_after_an_outside_call(acd, outside):
    acd.take_break("a1", "lunch")
    outside.on_event("CHANNEL_CREATE", _leg(**{"Caller-Destination-Number": "2001"}))
    outside.on_event("CHANNEL_HANGUP_COMPLETE", _leg())
    assert acd.agent("a1").state is AgentState.ON_BREAK


async def test_resync_forgets_legs_that_ended_while_the_link_was_down(acd, outside, switch):
    outside.on_event("CHANNEL_CREATE", _leg("gone", **{"Caller-Destination-Number": "2001"}))
    outside.on_event("CHANNEL_CREATE", _leg("alive", **{"Caller-Destination-Number": "2001"}))
    switch.live.add("alive")
    assert await outside.resync(switch.exists) == ["gone"]
    assert acd.agent("a1").outside_legs == {"alive"}


def _row(uuid, dest, direction="outbound", presence_id=""):
    return {"uuid": uuid, "direction": direction, "dest": dest, "presence_id": presence_id}


def test_the_channel_list_settles_what_the_events_missed(acd, outside):
    outside.on_event("CHANNEL_CREATE", _leg("ended-meanwhile", **{"Caller-Destination-Number": "2001"}))
    acd.put_agent("a2", "Bo", "2002")
    acd.log_in("a2")
    rows = [
        _row("caller", "9190", "inbound"),
        _row("to-a2", "2002"),  # rung while the ACD was away
        _row("to-a1-by-user", "sip:x@10.0.0.5", presence_id="2001@careline.local"),
        _row("to-nobody", "8123"),
    ]
    assert outside.sync(rows) == ["ended-meanwhile"]
    assert outside.legs == {"to-a2": "a2", "to-a1-by-user": "a1"}
    assert outside.sync(rows) == [] and len(outside.legs) == 2  # idempotent


def test_the_channel_list_leaves_the_acds_current_legs_alone(acd, outside):
    acd.agent("a1").offer("c1", "acd-leg")
    assert outside.sync([_row("acd-leg", "2001")]) == [] and outside.legs == {}

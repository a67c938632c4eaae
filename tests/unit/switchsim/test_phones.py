"""Simulated phones behind `bridge user/<ext>` and the Poisson caller generator (design §7, §8)."""

from __future__ import annotations

import pytest

from careline.switchsim import CallerScript, PhoneBehaviour, PoissonCallers

from ._recorder import offline_switch

AGENT_DIALPLAN = [("6000", [("answer", ""), ("bridge", "{originate_timeout=2}user/2001")])]


async def _call_agent(behaviour: PhoneBehaviour):
    """A caller dials 6000 (bridge to phone 2001); returns the switch, recorder, caller uuid and phone."""
    sw, rec = offline_switch(AGENT_DIALPLAN)
    phone = sw.add_phone("2001", behaviour)
    uuid = await sw.place_call("1001", "6000", CallerScript([CallerScript.wait_for("hangup", 30)]))
    await sw.calls[uuid].done.wait()
    await sw.wait_idle(2.0)
    return sw, rec, uuid, phone


@pytest.mark.parametrize(
    ("behaviour", "cause"),
    [
        (PhoneBehaviour(mode="busy"), "USER_BUSY"),
        (PhoneBehaviour(mode="reject", answer_after=0.3), "CALL_REJECTED"),
        (PhoneBehaviour(mode="ring"), "NO_ANSWER"),  # rings past originate_timeout=2
    ],
)
async def test_failed_ring_ends_the_caller_with_the_phone_cause(behaviour, cause):
    sw, rec, uuid, phone = await _call_agent(behaviour)
    try:
        assert sw.calls[uuid].hangup_cause == cause
        assert [h["cause"] for h in phone.history] == [cause]
        assert [h["answered_at"] for h in phone.history] == [None]
        assert not rec.named("CHANNEL_BRIDGE")
    finally:
        await sw.stop()


async def test_answering_phone_bridges_then_hangs_up_after_talk_time():
    sw, rec, uuid, phone = await _call_agent(PhoneBehaviour(answer_after=0.5, talk_time=3.0))
    try:
        (hist,) = phone.history
        assert hist["cause"] == "NORMAL_CLEARING"
        call = sw.calls[uuid]
        assert call.bridged_to == "2001"
        assert call.hangup_cause == "NORMAL_CLEARING"
        # The phone (not the caller) ends the call, no sooner than its talk time (simulated seconds).
        assert call.ended_at - hist["answered_at"] >= 3.0
        agent_leg = rec.named("CHANNEL_BRIDGE")[0].get("Bridge-B-Unique-ID")
        first_hangup = rec.named("CHANNEL_HANGUP")[0]
        assert first_hangup.get("Unique-ID") == agent_leg
        assert phone.current_calls == set()
    finally:
        await sw.stop()


async def _poisson(seed: int) -> list[tuple[str, str]]:
    sw, _ = offline_switch([("7000", [("hangup", "")])])
    try:
        personas = {"quick": (1.0, CallerScript([])), "slow": (1.0, CallerScript([CallerScript.wait(0.1)]))}
        gen = PoissonCallers(sw, rate=5.0, duration=4.0, destination="7000", personas=personas, seed=seed)
        placed = await gen.run()
        return [(sw.calls[u].caller, sw.calls[u].persona) for u in placed]
    finally:
        await sw.stop()


async def test_poisson_callers_with_a_seed_are_deterministic():
    first, second = await _poisson(seed=7), await _poisson(seed=7)
    assert first == second
    assert 5 <= len(first) <= 60  # about rate x duration = 20 arrivals
    assert {p for _, p in first} == {"quick", "slow"}
    assert all(num.startswith("1380013") and len(num) == 11 for num, _ in first)

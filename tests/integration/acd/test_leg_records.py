"""Records right on the simulator (issue 8 part 5, R-CDR1, R-SUP1, R-ACD3, R-ACD5): every leg the ACD
creates — agent offer, the supervisor's eavesdrop, a consultation, a conference's third party, an outbound
call — carries the call's id and a readable caller ID, so its CDR (careline.cdr.mapping, from the very
CHANNEL_HANGUP_COMPLETE the switch fired) is linked to the call and never shows 0000000000."""

from __future__ import annotations

import asyncio

import pytest

from careline.cdr.mapping import cdr_from_headers
from careline.switchsim import PhoneBehaviour

from .test_call_controls import _agent, _bridged_to, _caller, _on_call, _state, _until

NO_NUMBER = "0000000000"


@pytest.fixture
def hangups(desk):
    """Headers of every CHANNEL_HANGUP_COMPLETE the simulator fires, by leg uuid."""
    sw = desk[0]
    seen: dict[str, dict[str, str]] = {}
    fire = sw.core.fire

    def recording_fire(ev):
        if ev.name == "CHANNEL_HANGUP_COMPLETE":
            seen[ev.get("Unique-ID")] = dict(ev.headers)
        fire(ev)

    sw.core.fire = recording_fire
    return seen


def _cdrs(hangups: dict) -> dict:
    return {uuid: cdr_from_headers(headers) for uuid, headers in hangups.items()}


async def _all_ended(sw, hangups: dict, legs: list[str]) -> None:
    async def ended() -> bool:
        return all(leg in hangups for leg in legs)

    await _until(ended, f"hangups of {legs}")


async def test_offer_eavesdrop_and_consult_legs_belong_to_the_call(desk, hangups):
    sw, client, bus = desk
    await _agent(client, sw, "a1", "2001")
    caller = await _caller(sw, bus, "13900000051")
    await _on_call(client, "a1")
    await _bridged_to(sw, caller, "2001")
    agent_leg = sw.calls[caller].bridged_uuid
    offer = sw.core.get(agent_leg)
    assert (offer.cid_num, offer.cid_name) == ("13900000051", "careline-care")
    sw.add_phone("4001", PhoneBehaviour(answer_after=0.1, talk_time=None))  # the supervisor's phone
    r = await client.post("/v1/supervisor/eavesdrop", json={"agent": "a1", "extension": "4001"})
    assert r.status_code == 200, r.text
    eavesdrop = sw.core.get(r.json()["leg_uuid"])
    assert (eavesdrop.cid_num, eavesdrop.cid_name) == ("4001", "Supervisor-4001")
    assert eavesdrop.vars["careline_call_id"] == caller and eavesdrop.vars["careline_leg"] == "eavesdrop"
    await _agent(client, sw, "a2", "2002")
    assert (await client.post("/v1/agents/a1/call/consult", json={"agent": "a2"})).status_code == 200
    consult_leg = await _state(client, "a2")  # a2 talks to a1 on a leg of the caller's call
    assert consult_leg["call_uuid"] == caller
    assert (await client.post("/v1/agents/a1/call/consult/cancel")).status_code == 200
    assert (await client.post("/v1/agents/a1/call/hangup")).status_code == 200
    await asyncio.wait_for(sw.calls[caller].done.wait(), 5)
    legs = [caller, agent_leg, eavesdrop.uuid]
    await _all_ended(sw, hangups, legs)

    async def consult_ended() -> bool:
        return any(h.get("variable_careline_leg") == "consult" for h in hangups.values())

    await _until(consult_ended, "the consultation's hangup")
    cdrs = _cdrs(hangups)
    ours = {u: c for u, c in cdrs.items() if c.call_id == caller}
    assert set(legs) <= set(ours)
    assert {c.leg_kind for c in ours.values()} >= {"offer", "eavesdrop", "consult"}
    assert all(c.caller_number not in ("", NO_NUMBER) for c in ours.values()), cdrs
    assert cdrs[eavesdrop.uuid].caller_number == "4001"
    assert cdrs[caller].destination_number == "9190"  # the number dialled, not the hold extension


async def test_a_conference_third_party_belongs_to_the_call(desk, hangups):
    sw, client, bus = desk
    await _agent(client, sw, "a1", "2001")
    caller = await _caller(sw, bus, "13900000052")
    await _on_call(client, "a1")
    await _agent(client, sw, "a3", "2003")
    r = await client.post("/v1/agents/a1/call/conference", json={"agent": "a3"})
    assert r.status_code == 200, r.text
    sw.hangup(caller)
    await client.post("/v1/agents/a1/call/hangup")
    await client.post("/v1/agents/a3/call/hangup")

    async def third_ended() -> bool:
        return any(h.get("variable_careline_leg") == "conference" for h in hangups.values())

    await _until(third_ended, "the third party's hangup")
    (third,) = [c for c in _cdrs(hangups).values() if c.leg_kind == "conference"]
    assert (third.call_id, third.agent, third.caller_number) == (caller, "a3", "2001")


async def test_outbound_call_legs_share_the_calls_id_and_show_readable_numbers(desk, hangups):
    sw, client, _ = desk
    await _agent(client, sw, "a1", "2001")
    sw.add_phone("8556", PhoneBehaviour(answer_after=0.2, talk_time=0.5))
    r = await client.post("/v1/agents/a1/call/dial", json={"number": "8556"})
    assert r.status_code == 200, r.text
    out = r.json()
    await _all_ended(sw, hangups, [out["agent_leg"], out["number_leg"]])
    cdrs = _cdrs(hangups)
    agent_cdr, number_cdr = cdrs[out["agent_leg"]], cdrs[out["number_leg"]]
    assert agent_cdr.call_id == number_cdr.call_id == out["number_leg"]
    assert agent_cdr.caller_number == "8556"  # the agent's phone shows the number it is calling
    assert number_cdr.caller_number == "2001"  # the patient sees the hospital (here: the extension)
    assert {agent_cdr.leg_kind, number_cdr.leg_kind} == {"outbound"}

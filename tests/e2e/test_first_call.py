"""A first day at the call center, end to end (design §3, §7; R-IVR1, R-IVR5, R-ACD1, R-ACD6, R-CDR1).

Real nats-server, the FreeSWITCH simulator, and the real ivr, acd, crm and cdr apps (their lifespans,
NATS and ESL over TCP, the outbound socket). Three agents, of whom the first (idle longest, so offered
the first call) never answers; ten scripted callers: most press 0, two press wrong keys, one stays
silent, one hangs up while waiting. Time runs 20x faster in the simulator.
"""

from __future__ import annotations

import asyncio
from contextlib import AsyncExitStack

import httpx
import pytest

from careline.switchsim import CallerScript, PhoneBehaviour, Switch
from tests.e2e.support import (
    running,
    service_settings,
    start_ivr,
    start_switch,
    wait_ready,
    wait_until,
)

S = CallerScript
# 0.05 left a loaded CI machine too little real time: an agent freed up early and took the abandoner
TIME_SCALE = 0.1
AGENTS = {"a1": "1001", "a2": "1002", "a3": "1003"}  # a1's phone never answers
NO_ANSWER_AGENT = "a1"
# Recorded prompts (R-IVR1). The simulator splits play_and_get_digits on every space, even inside the
# single quotes real FreeSWITCH honours, so `say:` texts cannot be the menu prompt here.
PROMPTS = {
    "prompt_main_menu": "ivr/careline-main-menu.wav",
    "prompt_invalid": "ivr/careline-invalid.wav",
    "prompt_sorry": "ivr/careline-sorry.wav",
    "prompt_goodbye": "ivr/careline-goodbye.wav",
}
PROMPT_SECONDS = {"ivr/careline-main-menu.wav": 4.0, "ivr/careline-invalid.wav": 2.0}


MENU_STARTS = [S.wait_for("PLAYBACK_START"), S.wait(0.5)]  # a caller speaks once the menu plays


def press_zero() -> CallerScript:
    return S([*MENU_STARTS, S.press("0"), S.wait_for("bridged", 120)], "press_0")


def wrong_keys_twice() -> CallerScript:
    steps = [*MENU_STARTS, S.press("5"), S.wait(3.5), S.press("7")]
    return S([*steps, S.wait_for("bridged", 120)], "wrong_keys")


def silent() -> CallerScript:
    return S([S.wait_for("bridged", 120)], "silent")


def hangs_up_while_waiting() -> CallerScript:
    return S([*MENU_STARTS, S.press("0"), S.hangup_after(3.0)], "abandons")


@pytest.fixture
async def center(tmp_path, nats_url):
    from careline.acd.app import create_app as acd_app
    from careline.acd.settings import AcdSettings
    from careline.cdr.app import create_app as cdr_app
    from careline.cdr.settings import CdrSettings
    from careline.crm.app import create_app as crm_app
    from careline.crm.settings import CrmSettings

    async with AsyncExitStack() as stack:
        sw = await start_switch(stack, TIME_SCALE)
        clients = {}
        clients["crm"] = await stack.enter_async_context(
            running(crm_app(CrmSettings(**service_settings(tmp_path, "crm", nats_url, sw))))
        )
        cdr = cdr_app(CdrSettings(**service_settings(tmp_path, "cdr", nats_url, sw)))
        clients["cdr"] = await stack.enter_async_context(running(cdr))
        acd = acd_app(AcdSettings(**service_settings(tmp_path, "acd", nats_url, sw)))
        clients["acd"] = await stack.enter_async_context(running(acd))
        _, clients["ivr"] = await start_ivr(stack, tmp_path, nats_url, sw, **PROMPTS)
        await wait_ready(clients)
        yield sw, clients, acd


async def _set_up_agents(sw: Switch, acd: httpx.AsyncClient) -> None:
    r = await acd.put("/v1/queue", json={"name": "general", "no_answer_timeout_s": 2, "max_wait_s": 300})
    assert r.status_code == 200, r.text
    for agent_id, ext in AGENTS.items():
        mode = "ring" if agent_id == NO_ANSWER_AGENT else "answer"
        sw.add_phone(ext, PhoneBehaviour(answer_after=0.5, talk_time=3.0, mode=mode))
        r = await acd.post("/v1/agents", json={"id": agent_id, "name": f"Agent {agent_id}", "extension": ext})
        assert r.status_code == 201, r.text
        assert (await acd.post(f"/v1/agents/{agent_id}/login")).json()["state"] == "available"
        await asyncio.sleep(0.01)  # distinct idle times: a1 has been idle longest


async def test_first_day_every_caller_who_asked_reaches_a_human(center):
    sw, clients, acd_app = center
    acd = clients["acd"]
    await _set_up_agents(sw, acd)

    callers: dict[str, str] = {}  # uuid -> persona
    for i in range(4):
        uuid = await sw.place_call(f"1380000000{i}", "5000", press_zero())
        callers[uuid] = "press_0"

    async def both_agents_busy() -> bool:
        agents = (await acd.get("/v1/agents")).json()
        return sum(a["state"] == "on_call" for a in agents) == 2

    await wait_until(both_agents_busy, 10, "both answering agents on a call")
    abandoner = await sw.place_call("13800000099", "5000", hangs_up_while_waiting())
    callers[abandoner] = "abandons"
    more = [press_zero(), press_zero(), wrong_keys_twice(), wrong_keys_twice(), silent()]
    for i, script in enumerate(more):
        callers[await sw.place_call(f"1390000000{i}", "5000", script)] = script.persona

    for uuid in callers:
        await asyncio.wait_for(sw.calls[uuid].done.wait(), 20)
    assert await sw.wait_idle(10), "channels left behind"

    # Every caller who did not hang up reached one of the answering agents.
    reached = {u: sw.calls[u].bridged_to for u in callers}
    for uuid, persona in callers.items():
        if persona == "abandons":
            assert reached[uuid] is None, "the caller who hung up while waiting was never bridged"
        else:
            assert reached[uuid] in {"1002", "1003"}, f"{persona} caller {uuid} not bridged: {sw.calls[uuid]}"

    # No agent ever had two calls; the silent phone rang and was never connected.
    assert all(phone.max_concurrent <= 1 for phone in sw.phones.values())
    assert sw.phones["1001"].history and all(h["answered_at"] is None for h in sw.phones["1001"].history)

    # Agents end available, except the one who never answered (on break, reason no-answer). The ACD
    # hears the last hang-ups over ESL a moment after the simulator ends the calls: let it catch up.
    async def settled() -> bool:
        return all(a["state"] != "on_call" for a in (await acd.get("/v1/agents")).json())

    await wait_until(settled, 10, "agents off their last calls")
    agents = {a["id"]: a for a in (await acd.get("/v1/agents")).json()}
    assert (agents["a1"]["state"], agents["a1"]["break_reason"]) == ("on_break", "no-answer")
    assert agents["a2"]["state"] == agents["a3"]["state"] == "available"

    stats = (await acd.get("/v1/stats")).json()
    assert (stats["offered"], stats["answered"], stats["abandoned"], stats["waiting"]) == (10, 9, 1, 0)
    assert sum(stats["handled_by_agent"].values()) == 9 and "a1" not in stats["handled_by_agent"]

    # The IVR heard what the callers did: 7 zeros (6 + the abandoner), 2 x 2 wrong keys, 2 silences; a
    # second failed input goes to a human at once (R-IVR5), so nobody is asked a third time.
    metrics = (await clients["ivr"].get("/metrics")).text
    for choice, count in (("0", 7), ("invalid", 4), ("none", 2)):
        assert f'careline_ivr_menu_choices_total{{choice="{choice}"}} {count}.0' in metrics, metrics
    assert 'careline_ivr_handovers_total{result="accepted"} 10.0' in metrics

    # Every leg left exactly one CDR (R-CDR1): 10 callers + 9 answered agent legs + a1's unanswered rings.
    legs = set(callers) | {h["uuid"] for p in sw.phones.values() for h in p.history}

    async def all_cdrs() -> bool:
        page = (await clients["cdr"].get("/v1/cdrs", params={"limit": 500})).json()
        return page["total"] >= len(legs)

    await wait_until(all_cdrs, 10, "a CDR for every leg")
    items = (await clients["cdr"].get("/v1/cdrs", params={"limit": 500})).json()["items"]
    uuids = [item["uuid"] for item in items]
    assert len(uuids) == len(set(uuids)) and set(uuids) == legs

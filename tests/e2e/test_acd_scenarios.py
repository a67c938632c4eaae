"""The ACD's routing as callers and agents live it, end to end on the simulator (issue 3; R-ACD1, R-ACD6,
R-ACD7, R-VIP1, R-SUP1, R-REC2; design §3): the behaviours the integration tests do not already show
on a switch.

- priority classes: urgent before VIP before normal, first come first served within a class, and
  ageing (a normal caller who waited a class lead longer goes before a VIP);
- strategies: round robin (by agent id, whoever idled longest), fewest calls today, skills (the best
  level wins; an ask no free agent meets widens after ``widen_after_s``), sticky (a returning caller
  goes back to their last agent, and waits ``sticky_wait_s`` for them when that agent is away);
- auto-break after N missed offers (here N = 2) with the reject delay between the rings;
- periodic announcements of position and estimated wait, which follow the caller's place in line;
- an expert seat left idle by ordinary callers but taking a VIP of an ordinary queue (R-ACD7);
- wrap-up: the next caller waits it out, then rings the agent with no one's help;
- supervisor: listen, then whisper / barge / listen again from the phone's keypad on a live call, the
  leg ending with the call; forcing an agent out of wrap-up (the waiting caller rings them) and onto a
  break (R-SUP1, R-REC2).

Real nats-server, the simulator over ESL, the real acd app (lifespan, HTTP, NATS). Callers are parked
channels handed over exactly as the IVR does (ownership ``ivr`` in the KV bucket, then
``careline.acd.enqueue`` over NATS). What is asserted is what users see: which phone rang and which one
answered (``sw.phones[ext].history``), the order callers were bridged (``bridged_at``), agent states over
HTTP, and the prompts a caller heard (PLAYBACK_START paths). The ACD's own timers (widening, sticky wait,
class lead, reject delay) run on real time; the simulator runs 20x faster.
"""

from __future__ import annotations

import asyncio
from contextlib import AsyncExitStack

import httpx
import pytest

from careline import subjects
from careline.acd.app import create_app
from careline.acd.settings import AcdSettings
from careline.switchsim import TRACE_DIALPLAN, PhoneBehaviour, Switch
from careline.v1.acd_pb2 import EnqueueReply, EnqueueRequest
from tests.e2e.support import ready, running, start_switch, wait_until

TIME_SCALE = 0.05  # real seconds per simulated second
PARKS = [("answer", ""), *[("park", "")] * 200]  # the simulator's park returns after each broadcast
QUICK = PhoneBehaviour(answer_after=0.2, talk_time=1.0)  # answers, talks a simulated second, hangs up


class Desk:
    """The switch, the ACD's HTTP API, the bus, and every prompt each channel heard."""

    def __init__(self, sw: Switch, client: httpx.AsyncClient, bus) -> None:
        self.sw, self.http, self.bus = sw, client, bus
        self.heard: dict[str, list[str]] = {}
        observe = sw.observe

        def listen(ev) -> None:
            if ev.name == "PLAYBACK_START":
                self.heard.setdefault(ev.get("Unique-ID"), []).append(ev.get("Playback-File-Path") or "")
            observe(ev)

        sw.observe = listen

    async def queue(self, name: str = "care", **options) -> None:
        r = await self.http.put(f"/v1/queues/{name}", json={"wrap_up_s": 0, **options})
        assert r.status_code == 200, r.text

    async def agent(self, agent_id: str, ext: str, behaviour=QUICK, *, on_break=False, **profile) -> None:
        self.sw.add_phone(ext, behaviour)
        body = {"id": agent_id, "name": agent_id, "extension": ext, **profile}
        r = await self.http.post("/v1/agents", json=body)
        assert r.status_code == 201, r.text
        assert (await self.http.post(f"/v1/agents/{agent_id}/login")).json()["state"] == "available"
        if on_break:
            r = await self.http.post(f"/v1/agents/{agent_id}/break", json={"reason": "briefing"})
            assert r.json()["state"] == "on_break", r.text
        await asyncio.sleep(0.01)  # distinct idle times: agents logged in earlier have idled longer

    async def available(self, agent_id: str) -> None:
        """The agent is back; a caller waiting for them rings their phone at once."""
        state = (await self.http.post(f"/v1/agents/{agent_id}/available")).json()["state"]
        assert state in ("available", "ringing"), state

    async def state(self, agent_id: str) -> dict:
        return (await self.http.get(f"/v1/agents/{agent_id}")).json()

    async def caller(self, number: str, queue: str = "care", **ask) -> tuple[str, EnqueueReply]:
        """A caller the IVR hands over; ``ask``: vip, priority, skills (["cardiology:3"])."""
        uuid = await self.sw.place_call(number, "9190")
        assert await self.sw.wait_call_event(uuid, "answered", 5)
        kv = await self.bus.kv(next(b for b in subjects.BUCKETS if b.name == subjects.KV_CALL_OWNER))
        await kv.create(uuid, b"ivr")
        request = EnqueueRequest(call_uuid=uuid, queue=queue, caller_number=number, **ask)
        reply = await self.bus.request(subjects.ACD_ENQUEUE, request, reply_type=EnqueueReply)
        assert reply.accepted, reply.reason
        return uuid, reply

    async def call_to_end(self, uuid: str) -> str | None:
        """Wait for the caller's call to end; the extension it was bridged to."""
        await asyncio.wait_for(self.sw.calls[uuid].done.wait(), 15)
        return self.sw.calls[uuid].bridged_to

    async def all_available(self, *agent_ids: str) -> None:
        async def check() -> bool:
            states = [(await self.state(a))["state"] for a in agent_ids]
            return all(state == "available" for state in states)

        await wait_until(check, 10.0, f"{agent_ids} available")

    def rings(self, ext: str) -> list[dict]:
        return self.sw.phones[ext].history

    def announcements(self, uuid: str) -> list[tuple[int, int]]:
        """(position, minutes) of every position announcement the caller heard."""
        said = []
        for path in self.heard.get(uuid, []):
            if "careline-queue-position" in path:
                files = path.removeprefix("file_string://").split("!")
                said.append((_digit(files[1]), _digit(files[3])))
        return said


def _digit(file: str) -> int:
    return int(file.removeprefix("digits/").removesuffix(".wav"))


@pytest.fixture
async def start_desk(tmp_path, nats_url, bus):
    """``await start_desk(**acd_settings)``: a simulator and the acd app on it, stopped after the test."""
    async with AsyncExitStack() as stack:

        async def start(**settings) -> Desk:
            sw = await start_switch(stack, TIME_SCALE, dialplan=[*TRACE_DIALPLAN, ("9190", PARKS)])
            app = create_app(
                AcdSettings(
                    env="test",
                    data_dir=tmp_path,
                    nats_url=nats_url,
                    esl_port=sw.esl_port,
                    esl_password=sw.config.password,
                    tick_s=0.05,
                    **settings,
                )
            )
            client = await stack.enter_async_context(running(app))
            await wait_until(lambda: ready(client), 10.0, "acd ready")
            return Desk(sw, client, bus)

        yield start


def bridge_order(desk: Desk, uuids: list[str]) -> list[str]:
    return sorted(uuids, key=lambda u: desk.sw.calls[u].bridged_at)


# --- priority classes (R-ACD1, R-VIP1) ------------------------------------------------------------------


async def test_urgent_then_vip_then_normal_first_come_first_served(start_desk):
    desk = await start_desk()
    await desk.queue(class_lead_s=120)
    await desk.agent("p1", "2001", on_break=True)  # callers line up while the only agent is on break
    n1, r1 = await desk.caller("13900000001")
    n2, r2 = await desk.caller("13900000002")
    vip, rv = await desk.caller("13900000003", vip=True)
    urgent, ru = await desk.caller("13900000004", priority=2)
    assert (r1.position, r2.position, rv.position, ru.position) == (1, 2, 1, 1)  # each told their place
    line = (await desk.http.get("/v1/queues/care")).json()["waiting"]
    assert [(w["call_uuid"], w["position"]) for w in line] == [(urgent, 1), (vip, 2), (n1, 3), (n2, 4)]

    await desk.available("p1")
    assert [await desk.call_to_end(u) for u in (n1, n2, vip, urgent)] == ["2001"] * 4
    assert bridge_order(desk, [n1, n2, vip, urgent]) == [urgent, vip, n1, n2]
    assert len(desk.rings("2001")) == 4 and desk.sw.phones["2001"].max_concurrent == 1


async def test_ageing_a_normal_caller_who_waited_a_class_lead_longer_goes_before_a_vip(start_desk):
    desk = await start_desk()
    await desk.queue(class_lead_s=1.0)  # a VIP counts as having arrived 1 s earlier
    await desk.agent("p1", "2001", on_break=True)
    early, _ = await desk.caller("13900000011")
    await asyncio.sleep(1.5)  # the early caller has now waited longer than the VIP's head start
    late, _ = await desk.caller("13900000012")
    vip, reply = await desk.caller("13900000013", vip=True)
    assert reply.position == 2  # behind the caller who aged, ahead of the one who came just before

    await desk.available("p1")
    for uuid in (early, late, vip):
        assert await desk.call_to_end(uuid) == "2001"
    assert bridge_order(desk, [early, late, vip]) == [early, vip, late]


# --- strategies (R-ACD1) ----------------------------------------------------------------------------------


async def test_round_robin_takes_agents_in_turn_not_by_idle_time(start_desk):
    desk = await start_desk()
    await desk.queue(strategy="round_robin")
    for agent_id, ext in (("r3", "2003"), ("r2", "2002"), ("r1", "2001")):  # r3 has idled longest
        await desk.agent(agent_id, ext)
    served = []
    for n in range(4):
        uuid, _ = await desk.caller(f"1390000002{n}")
        served.append(await desk.call_to_end(uuid))
        await desk.all_available("r1", "r2", "r3")
    assert served == ["2001", "2002", "2003", "2001"]  # longest idle would have started with r3
    assert [len(desk.rings(ext)) for ext in ("2001", "2002", "2003")] == [2, 1, 1]


async def test_fewest_calls_today_goes_to_the_agent_with_fewer_calls_then_to_the_longest_idle(start_desk):
    desk = await start_desk()
    await desk.queue(strategy="fewest_calls")
    await desk.agent("f1", "2001")
    await desk.agent("f2", "2002", on_break=True)
    served = []

    async def one_call(n: int, *agents: str) -> None:
        uuid, _ = await desk.caller(f"1390000003{n}")
        served.append(await desk.call_to_end(uuid))
        await desk.all_available(*agents)

    for n in range(2):
        await one_call(n, "f1")
    await desk.available("f2")  # f1 has idled longer now, but has taken two calls today
    for n in range(2, 5):
        await one_call(n, "f1", "f2")
    assert served == ["2001", "2001", "2002", "2002", "2001"]  # 2-0, 2-1, then 2-2: longest idle (f1)
    handled = (await desk.http.get("/v1/stats")).json()["handled_by_agent"]
    assert handled == {"f1": 3, "f2": 2}


async def test_skills_best_level_wins_and_an_unmet_ask_widens_after_the_wait(start_desk):
    desk = await start_desk()
    widen_s = 1.0
    await desk.queue(strategy="skills", widen_after_s=widen_s)
    await desk.agent("junior", "2001", skills={"cardiology": 2})  # idles longest
    stays = PhoneBehaviour(answer_after=0.2, talk_time=None)  # on the call until the caller hangs up
    await desk.agent("senior", "2002", stays, skills={"cardiology": 5})

    first, _ = await desk.caller("13900000041", skills=["cardiology:1"])

    async def senior_on_call() -> bool:
        return (await desk.state("senior"))["state"] == "on_call"

    await wait_until(senior_on_call, 10.0, "senior on the first call")
    assert desk.sw.calls[first].bridged_to == "2002" and desk.rings("2001") == []  # best level, not idlest

    asked_at = desk.sw.core.now()
    hard, _ = await desk.caller("13900000042", skills=["cardiology:3"])  # only the (busy) senior meets it
    assert await desk.call_to_end(hard) == "2001"  # the ask dropped to level 2: the junior took it
    (ring,) = desk.rings("2001")
    assert ring["rang_at"] - asked_at >= widen_s / TIME_SCALE  # not before the ask widened
    assert (await desk.state("senior"))["state"] == "on_call"
    desk.sw.hangup(first)
    await desk.all_available("junior", "senior")


async def test_sticky_caller_returns_to_their_agent_and_waits_for_them_a_while(start_desk):
    desk = await start_desk()
    sticky_s = 1.0
    await desk.queue(strategy="sticky", sticky_wait_s=sticky_s)
    await desk.agent("s1", "2001")  # idles longest: takes the first call
    await desk.agent("s2", "2002")
    patient = "13900000051"

    first, _ = await desk.caller(patient)
    assert await desk.call_to_end(first) == "2001"
    await desk.all_available("s1", "s2")
    again, _ = await desk.caller(patient)  # s2 has idled longer now: longest idle would pick s2
    assert await desk.call_to_end(again) == "2001"
    await desk.all_available("s1", "s2")

    stranger, _ = await desk.caller("13900000052")  # a new caller: longest idle, s2
    assert await desk.call_to_end(stranger) == "2002"
    await desk.all_available("s1", "s2")

    r = await desk.http.post("/v1/agents/s1/break", json={"reason": "ward round"})
    assert r.json()["state"] == "on_break"
    asked_at = desk.sw.core.now()
    third, _ = await desk.caller(patient)  # s1 is on a break, not soon free: s2 takes the caller at once
    assert await desk.call_to_end(third) == "2002"
    assert desk.rings("2002")[-1]["rang_at"] - asked_at < sticky_s / TIME_SCALE
    assert len(desk.rings("2001")) == 2


# --- agent states: auto-break (R-ACD6) --------------------------------------------------------------------


async def test_auto_break_after_two_missed_offers_with_the_reject_delay_between(start_desk):
    reject_s = 0.5
    desk = await start_desk(max_missed_offers=2, reject_delay_s=reject_s)
    await desk.queue(no_answer_timeout_s=2)
    await desk.agent("m1", "2001", PhoneBehaviour(mode="ring"))  # rings out every time
    await desk.agent("m2", "2002", on_break=True)
    caller, _ = await desk.caller("13900000061")

    async def m1_auto_break() -> bool:
        return (await desk.state("m1"))["state"] == "on_break"

    await wait_until(m1_auto_break, 10.0, "m1 on break after two missed offers")
    m1 = await desk.state("m1")
    assert (m1["break_reason"], m1["workload"]["missed"]) == ("no-answer", 2)
    first, second = desk.rings("2001")
    assert first["answered_at"] is None and second["answered_at"] is None
    assert second["rang_at"] - first["rang_at"] >= reject_s / TIME_SCALE  # kept out for the reject delay
    line = (await desk.http.get("/v1/queues/care")).json()["waiting"]
    assert [w["call_uuid"] for w in line] == [caller]  # the caller kept their place

    await desk.available("m2")
    assert await desk.call_to_end(caller) == "2002"
    assert len(desk.rings("2001")) == 2  # nobody rings an agent on break
    await desk.available("m1")  # back from the break: offered calls again
    assert (await desk.state("m1"))["state"] == "available"


# --- caller experience: announcements (R-ACD1) ------------------------------------------------------------


async def test_callers_hear_their_position_and_wait_and_it_follows_their_place(start_desk):
    desk = await start_desk()
    await desk.queue(announce_every_s=0.3, mean_handle_s=120)  # one agent: 2 minutes a place
    await desk.agent("a1", "2001", on_break=True)
    first, _ = await desk.caller("13900000071")
    second, _ = await desk.caller("13900000072")

    async def both_announced() -> bool:
        return bool(desk.announcements(first)) and bool(desk.announcements(second))

    await wait_until(both_announced, 10.0, "announcements to both callers")
    assert set(desk.announcements(first)) == {(1, 2)}
    assert set(desk.announcements(second)) == {(2, 4)}

    desk.sw.hangup(first)  # the first caller gives up: the second moves up
    heard_before = len(desk.announcements(second))

    async def moved_up() -> bool:
        return (1, 2) in desk.announcements(second)[heard_before:]

    await wait_until(moved_up, 10.0, "the second caller told they are next")
    await desk.available("a1")
    assert await desk.call_to_end(second) == "2001"
    stats = (await desk.http.get("/v1/stats")).json()["queues"]["care"]
    assert (stats["offered"], stats["answered"], stats["abandoned"]) == (2, 1, 1)


# --- expert seats (R-ACD7) ----------------------------------------------------------------------------


async def test_an_expert_seat_takes_vip_callers_of_an_ordinary_queue_but_not_the_others(start_desk):
    desk = await start_desk()
    await desk.queue()
    await desk.agent("clerk", "2001", on_break=True)
    await desk.agent("prof", "2009", expert=True)  # available, and idle longest of anyone free
    ordinary, _ = await desk.caller("13900000081")
    await asyncio.sleep(0.3)  # several dispatches: the expert is never offered the ordinary caller
    assert desk.rings("2009") == [] and (await desk.state("prof"))["state"] == "available"

    vip, reply = await desk.caller("13900000082", vip=True)
    assert reply.position == 1
    assert await desk.call_to_end(vip) == "2009"
    assert [w["call_uuid"] for w in (await desk.http.get("/v1/queues/care")).json()["waiting"]] == [ordinary]
    await desk.available("clerk")
    assert await desk.call_to_end(ordinary) == "2001"
    assert len(desk.rings("2009")) == 1


# --- wrap-up (R-ACD6) ---------------------------------------------------------------------------------


async def test_the_next_caller_waits_out_the_agents_wrap_up_then_rings_them(start_desk):
    desk = await start_desk()
    wrap_s = 2.0
    await desk.queue(wrap_up_s=wrap_s)
    await desk.agent("w1", "2001")
    first, _ = await desk.caller("13900000091")
    assert await desk.call_to_end(first) == "2001"

    async def wrapping_up() -> bool:
        return (await desk.state("w1"))["state"] == "wrap_up"

    await wait_until(wrapping_up, 10.0, "w1 wrapping up")
    second, reply = await desk.caller("13900000092")
    assert reply.position == 1 and len(desk.rings("2001")) == 1  # not rung while wrapping up
    w1 = await desk.state("w1")
    assert w1["state"] == "wrap_up" and 0 < w1["wrap_up_left_s"] <= wrap_s
    assert await desk.call_to_end(second) == "2001"  # rung when the wrap-up ran out, by itself
    # the ACD heard the agent hang up
    await wait_until(wrapping_up, 10.0, "w1 wrapping up after the second call")
    work = (await desk.state("w1"))["workload"]
    assert work["calls"] == 2 and work["wrap_s"] >= wrap_s


# --- supervisor (R-SUP1, R-REC2) ----------------------------------------------------------------------


async def test_supervisor_listens_then_whispers_and_barges_from_the_phone_and_forces_states(start_desk):
    desk = await start_desk()
    await desk.queue(wrap_up_s=60)
    stays = PhoneBehaviour(answer_after=0.2, talk_time=None)
    await desk.agent("a1", "2001", stays)
    desk.sw.add_phone("4001", stays)  # the supervisor's phone
    caller, _ = await desk.caller("13900000101")

    async def a1_on_call() -> bool:
        return (await desk.state("a1"))["state"] == "on_call"

    await wait_until(a1_on_call, 10.0, "a1 on the call")
    body = {"agent": "a1", "extension": "4001", "mode": "listen"}
    r = await desk.http.post("/v1/supervisor/eavesdrop", json=body)
    assert r.status_code == 200, r.text
    leg = desk.sw.core.get(r.json()["leg_uuid"])
    assert leg.vars.get("eavesdrop_whisper_aleg") is None and leg.vars.get("eavesdrop_whisper_bleg") is None
    for key, mode in ((None, "listen"), ("2", "whisper"), ("3", "barge"), ("0", "listen")):
        if key is not None:
            desk.sw.send_dtmf(leg.uuid, key)  # the supervisor switches mode on the phone's keypad

        async def in_mode(mode=mode) -> bool:
            return leg.vars.get("eavesdrop_mode") == mode

        await wait_until(in_mode, 10.0, f"supervisor in {mode} mode")
        assert leg.vars["eavesdrop_target"] == desk.sw.calls[caller].bridged_uuid  # on the agent's leg
        assert desk.sw.calls[caller].bridged_to == "2001"  # the call goes on untouched
    assert desk.sw.phones["2001"].max_concurrent == 1

    desk.sw.hangup(caller)

    async def supervisor_leg_gone() -> bool:
        return not leg.alive

    await wait_until(supervisor_leg_gone, 10.0, "the supervisor's leg ended with the call")
    assert (await desk.state("a1"))["state"] == "wrap_up"
    waiting, _ = await desk.caller("13900000102")  # a1 has a minute of wrap-up left
    forced = await desk.http.post("/v1/supervisor/agents/a1/state", json={"state": "available"})
    assert forced.json()["state"] in ("available", "ringing")  # the supervisor sends a1 back to work

    async def bridged_to_a1() -> bool:
        return desk.sw.calls[waiting].bridged_to == "2001"

    await wait_until(bridged_to_a1, 10.0, "the waiting caller put through to a1")
    desk.sw.hangup(waiting)
    await wait_until(lambda: _agent_in(desk, "a1", "wrap_up"), 10.0, "a1 wrapping up again")
    body = {"state": "on_break", "reason": "debrief"}
    forced = (await desk.http.post("/v1/supervisor/agents/a1/state", json=body)).json()
    assert (forced["state"], forced["break_reason"]) == ("on_break", "debrief")
    seats = (await desk.http.get("/v1/supervisor/snapshot")).json()["seats"]
    assert seats["on_break"] == 1 and seats["serving"] == 0


async def _agent_in(desk: Desk, agent_id: str, state: str) -> bool:
    return (await desk.state(agent_id))["state"] == state

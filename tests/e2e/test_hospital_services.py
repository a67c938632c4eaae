"""The hospital's free phone services end to end (issue 4 "Done when"; R-REG3, R-INFO1, R-CMP1, R-CRM1,
R-VIP2, R-ACD2).

Real nats-server, the FreeSWITCH simulator and the real crm, ivr, acd and cdr apps, with the demo
hospital loaded into the CRM. Callers key what a caller would, each key sent once the question they
answer is being played (the simulator's PLAYBACK_START events, whose paths are the TTS texts heard).
"""

from __future__ import annotations

import asyncio
import datetime as dt
from contextlib import AsyncExitStack
from zoneinfo import ZoneInfo

import pytest

from careline import subjects
from careline.switchsim import PhoneBehaviour, Switch
from careline.v1.acd_pb2 import AgentOffered
from tests.e2e.support import (
    running,
    service_settings,
    start_crm_and_cdr,
    start_ivr,
    start_switch,
    wait_ready,
    wait_until,
)

ZONE = "Asia/Shanghai"
LI_HUA = ("13800138000", "C2024002")  # a known caller without VIP (demo_hospital.json)
VIP = "13912345678"  # 王小明, VIP level 2


class Ear:
    """What each call heard: the path of every PLAYBACK_START (TTS text for ``say:`` prompts)."""

    def __init__(self, sw: Switch) -> None:
        self.sw, self.heard = sw, {}
        observe = sw.observe

        def listen(ev) -> None:
            if ev.name in ("PLAYBACK_START", "RECORD_START"):
                path = ev.get("Playback-File-Path") or f"record:{ev.get('Record-File-Path')}"
                self.heard.setdefault(ev.get("Unique-ID"), []).append(path)
            observe(ev)

        sw.observe = listen

    async def hears(self, uuid: str, text: str, within: float = 10) -> str:
        """Wait until the call hears a prompt containing ``text`` (after the last one matched)."""

        async def heard() -> bool:
            return any(text in p for p in self.heard.get(uuid, []))

        await wait_until(heard, within, f"{text!r} on {uuid}: {self.heard.get(uuid)}")
        return next(p for p in self.heard[uuid] if text in p)

    async def answer(self, uuid: str, text: str, keys: str) -> str:
        """When the question containing ``text`` is played (next time), key ``keys``."""
        seen = len(self.heard.get(uuid, []))

        async def asked() -> bool:
            return any(text in p for p in self.heard.get(uuid, [])[seen:])

        await wait_until(asked, 10, f"question {text!r} on {uuid}: {self.heard.get(uuid)}")
        self.sw.send_dtmf(uuid, keys)
        return next(p for p in self.heard[uuid][seen:] if text in p)

    def since(self, uuid: str, text: str) -> list[str]:
        paths = self.heard.get(uuid, [])
        last = max(i for i, p in enumerate(paths) if text in p)
        return paths[last:]


@pytest.fixture
async def hospital(tmp_path, nats_url):
    from careline.acd.app import create_app as acd_app
    from careline.acd.settings import AcdSettings

    async with AsyncExitStack() as stack:
        sw = await start_switch(stack, 0.05)
        ear = Ear(sw)
        clients = await start_crm_and_cdr(stack, tmp_path, nats_url, sw)
        clients["acd"] = await stack.enter_async_context(
            running(acd_app(AcdSettings(**service_settings(tmp_path, "acd", nats_url, sw))))
        )
        _, clients["ivr"] = await start_ivr(stack, tmp_path, nats_url, sw)
        await wait_ready(clients)
        yield sw, ear, clients


async def _ended(sw: Switch, uuid: str) -> None:
    await asyncio.wait_for(sw.calls[uuid].done.wait(), 20)


async def test_book_then_cancel_an_appointment_in_the_ivr_and_see_it_in_the_crm(hospital):
    """R-REG3: card, department, day and time keyed in; the CRM's read-back and the code heard."""
    sw, ear, clients = hospital
    tomorrow = dt.datetime.now(ZoneInfo(ZONE)).date() + dt.timedelta(days=1)
    number, card = LI_HUA
    uuid = await sw.place_call(number, "95000")
    await ear.answer(uuid, "For appointments, press 1", "1")
    await ear.answer(uuid, "To book an appointment, press 1", "1")
    await ear.answer(uuid, "visit card number", card[1:] + "#")
    await ear.answer(uuid, "department code", "11#")
    # Fixed-length answers need no pound: input ends at the last digit (a pound would be the next answer).
    await ear.answer(uuid, "day of your visit", tomorrow.strftime("%Y%m%d"))
    await ear.answer(uuid, "time of your visit", "0800")
    read_back = await ear.hears(uuid, "已预约")
    assert read_back.startswith("say:李华") and f"{tomorrow.month}月{tomorrow.day}日08:00内科" in read_back

    page = (await clients["crm"].get("/v1/appointments", params={"card": card})).json()
    (booked,) = page["items"]
    code = booked["confirmation_code"]
    assert booked["status"] == "booked" and booked["channel"] == "ivr" and booked["call_uuid"] == uuid
    await ear.hears(uuid, f"say:{' '.join(code)}")
    heard = ear.since(uuid, "已预约")
    assert heard[1:3] == ["say:Your confirmation code is", f"say:{' '.join(code)}"]
    assert " ".join(code) in read_back

    # The follow-up menu: 1 for the main menu, then cancel with the code just heard.
    await ear.answer(uuid, "For the main menu, press 1", "1")
    await ear.answer(uuid, "For appointments, press 1", "1")
    await ear.answer(uuid, "To cancel an appointment, press 2", "2")
    await ear.answer(uuid, "visit card number", card[1:] + "#")
    await ear.answer(uuid, "confirmation code", "000000")  # a wrong code first: said, retry offered
    await ear.hears(uuid, "no appointment with that code")
    await ear.answer(uuid, "To try again, press 1", "1")
    await ear.answer(uuid, "visit card number", card[1:] + "#")
    await ear.answer(uuid, "confirmation code", code)
    await ear.hears(uuid, "已取消")
    await ear.answer(uuid, "To end the call, press pound", "#")
    await _ended(sw, uuid)
    assert ear.heard[uuid][-1] == "say:Thank you for calling. Goodbye."

    row = (await clients["crm"].get(f"/v1/appointments/{booked['id']}")).json()
    assert row["status"] == "cancelled"


async def test_a_complaint_by_dtmf_is_filed_with_its_voice_message_and_linked_to_the_cdr(hospital):
    """R-CMP1: codes checked by the CRM (a wrong staff code is said and re-asked), a voice message,
    the reference heard; after the hang-up the CDR arrives on the bus and links the complaint."""
    sw, ear, clients = hospital
    uuid = await sw.place_call("13800138000", "95000")
    await ear.answer(uuid, "For complaints, press 3", "3")
    await ear.answer(uuid, "department code", "11#")
    await ear.answer(uuid, "staff code", "1201#")  # 1201 works in department 12
    await ear.answer(uuid, "voice message", "#")  # no message this time
    await ear.hears(uuid, "does not work in that department")
    await ear.answer(uuid, "department code", "11#")
    await ear.answer(uuid, "staff code", "1102#")
    await ear.answer(uuid, "voice message", "1")
    await ear.hears(uuid, "record:")
    sw.send_dtmf(uuid, "#")  # done speaking
    filed = await ear.hears(uuid, "reference number")
    assert filed == "say:Thank you. Your complaint has been filed. Its reference number is"
    await ear.answer(uuid, "To end the call, press pound", "#")
    reference_spoken = ear.since(uuid, "reference number")[1]
    await _ended(sw, uuid)

    async def complaint():
        items = (await clients["crm"].get("/v1/complaints")).json()["items"]
        return next((c for c in items if c["call_uuid"] == uuid), None)

    async def linked() -> bool:
        row = await complaint()
        return bool(row and row["cdr_id"])

    await wait_until(linked, 15, "the complaint linked to its CDR")
    row = await complaint()
    assert row["reference"] and reference_spoken == f"say:{' '.join(row['reference'])}"
    assert row["channel"] == "dtmf" and row["status"] == "new"
    assert row["voice_message_path"].endswith(f"{uuid}-complaint_message.wav")
    cdrs = (await clients["cdr"].get("/v1/cdrs", params={"limit": 500})).json()["items"]
    assert row["cdr_id"] == uuid and uuid in {c["uuid"] for c in cdrs}  # the caller leg's CDR


async def test_expert_and_drug_information_by_number(hospital):
    """R-INFO1: texts read from the CRM; an unknown number is said and asked again; * repeats."""
    sw, ear, _ = hospital
    uuid = await sw.place_call("13700000001", "95000")
    await ear.answer(uuid, "For hospital information, press 2", "2")
    await ear.answer(uuid, "For an expert introduction, press 2", "2")
    await ear.answer(uuid, "expert number", "99#")
    await ear.hears(uuid, "no information under that number")
    await ear.answer(uuid, "expert number", "1#")
    expert = await ear.hears(uuid, "李建国")
    assert expert.startswith("say:李建国，主任医师")
    await ear.answer(uuid, "To hear this again, press star", "*")
    await wait_until(lambda: _count(ear, uuid, "李建国", 2), 10, "the introduction repeated")
    await ear.answer(uuid, "For the information menu, press pound", "#")
    await ear.answer(uuid, "To look up a drug, press 3", "3")
    await ear.answer(uuid, "drug number", "1002#")
    drug = await ear.hears(uuid, "缓解轻至中度疼痛")
    assert drug.startswith("say:")
    await ear.answer(uuid, "For the information menu, press pound", "#")
    await ear.answer(uuid, "For new drugs, press 6", "6")
    assert (await ear.hears(uuid, "长效降压药物")).startswith("say:")
    sw.hangup(uuid)
    await _ended(sw, uuid)


async def _count(ear: Ear, uuid: str, text: str, n: int) -> bool:
    return sum(text in p for p in ear.heard.get(uuid, [])) >= n


async def test_a_vip_skips_the_menu_and_the_screen_pop_comes_before_the_agents_phone_rings(hospital, bus):
    """R-VIP2, R-ACD2: no menu, the VIP queue, the CRM record and IVR call data on the agent's subject
    before the agent's phone starts ringing."""
    sw, ear, clients = hospital
    acd = clients["acd"]
    assert (await acd.put("/v1/queue", json={"name": "general", "max_wait_s": 300})).status_code == 200
    assert (
        await acd.put("/v1/queues/vip", json={"no_answer_timeout_s": 6, "max_wait_s": 300})
    ).status_code == 200
    phone = sw.add_phone("1001", PhoneBehaviour(answer_after=0.5, talk_time=3.0))
    loop = asyncio.get_running_loop()
    rang: list[float] = []
    ringing = phone.ringing

    def ring(ch) -> None:
        rang.append(loop.time())
        ringing(ch)

    phone.ringing = ring
    pops: list[tuple[float, AgentOffered]] = []

    async def pop(message: AgentOffered) -> None:
        pops.append((loop.time(), message))

    await bus.subscribe(subjects.agent_screenpop("a1"), pop, msg_type=AgentOffered)
    r = await acd.post("/v1/agents", json={"id": "a1", "name": "Agent a1", "extension": "1001"})
    assert r.status_code == 201, r.text
    assert (await acd.post("/v1/agents/a1/login")).json()["state"] == "available"

    uuid = await sw.place_call(VIP, "95000")
    await asyncio.wait_for(sw.calls[uuid].done.wait(), 30)
    assert sw.calls[uuid].bridged_to == "1001"
    assert ear.heard[uuid] == ["local_stream://moh"], "a VIP hears no menu, only the queue's music"
    ((popped_at, offer),) = pops
    assert rang and popped_at < rang[0], (popped_at, rang)
    assert (offer.call_uuid, offer.queue, offer.vip) == (uuid, "vip", True)
    data = offer.screen_pop
    assert data["full_name"] == "王小明" and data["card_number"] == "C2024001" and data["vip_level"] == "2"
    assert data["id_number_masked"] == "110105********002X" and data["ivr_reason"] == "vip"
    assert data["ivr_flow"] == "hospital" and data["caller_number"] == VIP

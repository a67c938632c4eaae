"""The hospital's free phone services end to end (issue 4 "Done when"; R-REG3, R-INFO1, R-CMP1, R-CRM1,
R-VIP2, R-ACD2).

Real nats-server, the FreeSWITCH simulator and the real crm, ivr, acd and cdr apps, with the demo
hospital loaded into the CRM. Callers key what a caller would, each key sent once the question they
answer is being played (the simulator's PLAYBACK_START events: rendered prompt files, recorded units and
TTS, described by :class:`Ear`). Calls start in Mandarin; a caller who presses 8 goes on in English and
the CRM keeps that choice for their next call (issue 8, design §10).
"""

from __future__ import annotations

import asyncio
import datetime as dt
from contextlib import AsyncExitStack
from zoneinfo import ZoneInfo

import pytest

from careline import subjects
from careline.prompts.catalog import catalog, flow_prompt_file, plain_text
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
    """What each call heard (issue 8: prompts are rendered files, values recorded units, text TTS).

    ``heard[uuid]`` keeps the raw path of every PLAYBACK_START (and ``record:<path>``); :meth:`hears`,
    :meth:`answer` and :meth:`since` search what a caller would understand of each: a rendered prompt as
    its path and its text in the call's language (followed from the IVR's ``set careline_lang=…``),
    ``units:<…>`` for recorded units (digits as numbers: ``units:4 0 7 1``), ``tts:<voice>:<text>`` for
    text spoken by mod_tts_commandline.
    """

    def __init__(self, sw: Switch) -> None:
        self.sw, self.heard, self.said = sw, {}, {}
        self.language: dict[str, str] = {}
        self.marks: dict[str, int] = {}
        observe = sw.observe

        def listen(ev) -> None:
            uuid = ev.get("Unique-ID")
            data = ev.get("Application-Data") or ""
            if ev.name == "CHANNEL_EXECUTE" and ev.get("Application") == "set" and data.startswith(LANG):
                self.language[uuid] = data[len(LANG) :]
            if ev.name in ("PLAYBACK_START", "RECORD_START"):
                path = ev.get("Playback-File-Path") or f"record:{ev.get('Record-File-Path')}"
                self.heard.setdefault(uuid, []).append(path)
                self.said.setdefault(uuid, []).append(describe(path, self.language.get(uuid, "zh")))
            observe(ev)

        sw.observe = listen

    async def hears(self, uuid: str, text: str, within: float = 10) -> str:
        """Wait until the call hears a prompt containing ``text``; what was heard, described."""

        async def heard() -> bool:
            return any(text in p for p in self.said.get(uuid, []))

        await wait_until(heard, within, f"{text!r} on {uuid}: {self.said.get(uuid)}")
        return next(p for p in self.said[uuid] if text in p)

    async def answer(self, uuid: str, text: str, keys: str) -> str:
        """When the question containing ``text`` is played (next time), key ``keys``."""
        seen = self.marks.pop(uuid, len(self.said.get(uuid, [])))

        async def asked() -> bool:
            return any(text in p for p in self.said.get(uuid, [])[seen:])

        await wait_until(asked, 10, f"question {text!r} on {uuid}: {self.said.get(uuid)}")
        self.sw.send_dtmf(uuid, keys)
        return next(p for p in self.said[uuid][seen:] if text in p)

    async def english(self, uuid: str) -> None:
        """The caller presses 8 in the Mandarin main menu (issue 8); the next :meth:`answer` may be to
        the English menu that follows at once."""
        await self.answer(uuid, MAIN_MENU, "8")
        seen = len(self.said.get(uuid, []))

        async def english_menu() -> bool:
            later = self.said.get(uuid, [])[seen:]
            return self.language.get(uuid) == "en" and any(MAIN_MENU in p for p in later)

        await wait_until(english_menu, 10, f"the English main menu on {uuid}: {self.said.get(uuid)}")
        self.marks[uuid] = seen

    def since(self, uuid: str, text: str) -> list[str]:
        said = self.said.get(uuid, [])
        last = max(i for i, p in enumerate(said) if text in p)
        return said[last:]


LANG = "careline_lang="
MAIN_MENU = flow_prompt_file("main_menu")
_TEXTS = {lang: {p.path: plain_text(p.text) for p in catalog((lang,))} for lang in ("zh", "en")}


def describe(path: str, language: str) -> str:
    """What a caller understands of a played path (see :class:`Ear`)."""
    if path.startswith("tts://"):
        _engine, voice, text = path[len("tts://") :].split("|", 2)
        return f"tts:{voice}:{text}"
    if path.startswith("file_string://"):
        words = [_unit(unit, language) for unit in path[len("file_string://") :].split("!")]
        return "units:" + " ".join(words)
    text = _TEXTS[language].get(path)
    return f"{path} {text}" if text else path


def _unit(path: str, language: str) -> str:
    if path.startswith("digits/") and path[len("digits/") : -len(".wav")].isdigit():
        return path[len("digits/") : -len(".wav")]
    return _TEXTS[language].get(path, path)


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
    """R-REG3, in Mandarin (the default): card, department, day and time keyed in; the CRM's read-back
    spoken by the Mandarin TTS voice, the code said with recorded digits."""
    sw, ear, clients = hospital
    tomorrow = dt.datetime.now(ZoneInfo(ZONE)).date() + dt.timedelta(days=1)
    number, card = LI_HUA
    uuid = await sw.place_call(number, "95000")
    await ear.answer(uuid, "careline-main-menu.wav 欢迎致电", "1")
    await ear.answer(uuid, "careline-appointments-menu", "1")
    await ear.answer(uuid, "careline-enter-card", card[1:] + "#")
    await ear.answer(uuid, "careline-enter-department-code", "11#")
    # Fixed-length answers need no pound: input ends at the last digit (a pound would be the next answer).
    await ear.answer(uuid, "careline-enter-day", tomorrow.strftime("%Y%m%d"))
    await ear.answer(uuid, "careline-enter-time", "0800")
    read_back = await ear.hears(uuid, "已预约")
    assert (
        read_back.startswith("tts:cmn:李华") and f"{tomorrow.month}月{tomorrow.day}日08:00内科" in read_back
    )

    page = (await clients["crm"].get("/v1/appointments", params={"card": card})).json()
    (booked,) = page["items"]
    code = booked["confirmation_code"]
    assert booked["status"] == "booked" and booked["channel"] == "ivr" and booked["call_uuid"] == uuid
    await ear.hears(uuid, f"units:{' '.join(code)}")
    heard = ear.since(uuid, "已预约")
    assert heard[1:3] == ["ivr/careline-confirmation-code-is.wav 您的确认码是", f"units:{' '.join(code)}"]
    assert " ".join(code) in read_back

    # The follow-up menu: 1 for the main menu, then cancel with the code just heard.
    await ear.answer(uuid, "careline-after-service", "1")
    await ear.answer(uuid, "careline-main-menu", "1")
    await ear.answer(uuid, "careline-appointments-menu", "2")
    await ear.answer(uuid, "careline-enter-card", card[1:] + "#")
    await ear.answer(uuid, "careline-enter-confirmation-code", "000000")  # a wrong code: said, retry
    await ear.hears(uuid, "没有该确认码的预约")
    await ear.answer(uuid, "careline-appointment-retry", "1")
    await ear.answer(uuid, "careline-enter-card", card[1:] + "#")
    await ear.answer(uuid, "careline-enter-confirmation-code", code)
    await ear.hears(uuid, "已取消")
    await ear.answer(uuid, "careline-after-service", "#")
    await _ended(sw, uuid)
    assert ear.heard[uuid][-1] == "ivr/careline-goodbye.wav"
    assert all(p.startswith(("ivr/", "file_string://", "tts://", "silence")) for p in ear.heard[uuid])

    row = (await clients["crm"].get(f"/v1/appointments/{booked['id']}")).json()
    assert row["status"] == "cancelled"


async def test_a_complaint_by_dtmf_is_filed_with_its_voice_message_and_linked_to_the_cdr(hospital):
    """R-CMP1, in English (key 8): codes checked by the CRM (a wrong staff code is said and re-asked), a
    voice message, the reference heard; after the hang-up the CDR arrives on the bus and links it."""
    sw, ear, clients = hospital
    uuid = await sw.place_call("13800138000", "95000")
    await ear.english(uuid)
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
    assert filed == (
        "ivr/careline-complaint-filed.wav Thank you. Your complaint has been filed. Its reference number is"
    )
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
    assert row["reference"] and reference_spoken == f"units:{' '.join(row['reference'])}"
    assert row["channel"] == "dtmf" and row["status"] == "new"
    assert row["voice_message_path"].endswith(f"{uuid}-complaint_message.wav")
    cdrs = (await clients["cdr"].get("/v1/cdrs", params={"limit": 500})).json()["items"]
    assert row["cdr_id"] == uuid and uuid in {c["uuid"] for c in cdrs}  # the caller leg's CDR


async def test_expert_and_drug_information_by_number(hospital):
    """R-INFO1: texts read from the CRM, spoken by the Mandarin TTS voice; an unknown number is said and
    asked again; * repeats."""
    sw, ear, _ = hospital
    uuid = await sw.place_call("13700000001", "95000")
    await ear.answer(uuid, "careline-main-menu", "2")
    await ear.answer(uuid, "careline-information-menu", "2")
    await ear.answer(uuid, "careline-enter-expert-number", "99#")
    await ear.hears(uuid, "careline-info-not-found")
    await ear.answer(uuid, "careline-enter-expert-number", "1#")
    expert = await ear.hears(uuid, "李建国")
    assert expert.startswith("tts:cmn:李建国，主任医师")
    await ear.answer(uuid, "careline-after-information", "*")
    await wait_until(lambda: _count(ear, uuid, "李建国", 2), 10, "the introduction repeated")
    await ear.answer(uuid, "careline-after-information", "#")
    await ear.answer(uuid, "careline-information-menu", "3")
    await ear.answer(uuid, "careline-enter-drug-number", "1002#")
    drug = await ear.hears(uuid, "缓解轻至中度疼痛")
    assert drug.startswith("tts:cmn:")
    await ear.answer(uuid, "careline-after-information", "#")
    await ear.answer(uuid, "careline-information-menu", "6")
    assert (await ear.hears(uuid, "长效降压药物")).startswith("tts:cmn:")
    sw.hangup(uuid)
    await _ended(sw, uuid)


async def test_a_caller_who_chose_english_is_greeted_in_english_next_time(hospital):
    """Issue 8: key 8 switches the call to English (prompts, sound_prefix, TTS voice) and the CRM keeps
    the choice, so Li Hua's next call starts in English with no key pressed."""
    sw, ear, clients = hospital
    number, _ = LI_HUA
    first = await sw.place_call(number, "95000")
    await ear.english(first)
    sw.hangup(first)
    await _ended(sw, first)
    patient = (await clients["crm"].get("/v1/lookup", params={"number": number})).json()
    assert patient["language"] == "en"
    language = (await clients["crm"].get(f"/v1/patients/{patient['patient_id']}/language")).json()
    assert language == {"language": "en"}

    second = await sw.place_call(number, "95000")
    menu = await ear.hears(second, "careline-main-menu")
    assert ear.language[second] == "en" and "For appointments, press 1" in menu
    sw.hangup(second)
    await _ended(sw, second)


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

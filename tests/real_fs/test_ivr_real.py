"""The hospital IVR on the real switch (issue 8 "Done when"; R-IVR1, R-REG3, R-INFO1; design §10).

A sipp caller dials 95000 and hears the Mandarin menu: rendered files played with no playback error
(PLAYBACK_START/STOP, Application-Response) and audible RTP at the caller; keys sent as RFC 2833 while a
question plays are detected by the switch (DTMF events) and collected by the IVR. The caller books an
appointment, hears the CRM's read-back and code, cancels it with that code; another caller hears an
expert's introduction and a drug's information spoken by mod_tts_commandline.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from tests.real_fs.center import PLAYBACK_ERRORS, contact_center

ZONE = "Asia/Shanghai"
LI_HUA = ("13800138000", "C2024002")  # demo_hospital.json: a known caller, no VIP


@pytest.fixture
async def center(real_fs, tmp_path, nats_url):
    async with contact_center(real_fs, tmp_path, nats_url) as center:
        yield center


def _no_playback_error(center, uuid: str) -> list[tuple[str, str]]:
    results = center.board.playback_results(uuid)
    failed = [r for r in results if any(err in r[1] for err in PLAYBACK_ERRORS)]
    assert not failed, f"playback errors: {failed}\nall: {results}"
    return results


async def test_the_caller_hears_the_mandarin_menu_and_keys_are_collected(center):
    """R-IVR1: the whole main menu is played from the rendered Mandarin file, the caller receives it as
    sound, and the key pressed after it is the one the IVR acts on (the appointments menu follows)."""
    caller, uuid = await center.call("13700000101")
    start = await center.hears(uuid, "zh/cn/careline/ivr/careline-main-menu")
    stop = await center.stopped(uuid, start)
    assert stop.get("Playback-Status") in ("done", ""), stop.headers
    packets = caller.media.between(start.at, stop.at)
    audible = caller.media.audible(packets)
    seconds = stop.at - start.at
    print(f"main menu: {seconds:.1f} s, {len(packets)} RTP packets to the caller, {audible} audible")
    assert seconds > 2 and audible > 0.5 * seconds / 0.02, (seconds, len(packets), audible)

    await caller.media.send_digits("1")
    await center.hears(uuid, "careline-appointments-menu")
    assert center.board.digits(uuid).startswith("1"), center.board.of(uuid, "DTMF")
    results = _no_playback_error(center, uuid)
    print("Application-Response:", results)
    await center.hang_up(uuid)


@pytest.mark.timeout(300)  # real time: two passes through the menus with their prompts
async def test_book_then_cancel_an_appointment_and_see_both_in_the_crm(center):
    """R-REG3 in Mandarin: card, department, day and time keyed; the read-back spoken; then cancelled
    with the confirmation code the CRM gave."""
    tomorrow = dt.datetime.now(ZoneInfo(ZONE)).date() + dt.timedelta(days=1)
    number, card = LI_HUA
    caller, uuid = await center.call(number)
    crm = center.clients["crm"]
    await center.answer(caller, uuid, "careline-main-menu", "1")
    await center.answer(caller, uuid, "careline-appointments-menu", "1")
    await center.answer(caller, uuid, "careline-enter-card", card[1:] + "#")
    await center.answer(caller, uuid, "careline-enter-department-code", "11#")
    await center.answer(caller, uuid, "careline-enter-day", tomorrow.strftime("%Y%m%d"))
    await center.answer(caller, uuid, "careline-enter-time", "0800")
    read_back = await center.hears(uuid, "已预约", within=40)
    assert "李华" in read_back.get("Playback-File-Path")

    (booked,) = (await crm.get("/v1/appointments", params={"card": card})).json()["items"]
    code = booked["confirmation_code"]
    assert (booked["status"], booked["channel"], booked["call_uuid"]) == ("booked", "ivr", uuid)
    print(f"booked {booked['id']} code {code}; DTMF detected so far: {center.board.digits(uuid)}")

    await center.answer(caller, uuid, "careline-after-service", "1", within=60)
    await center.answer(caller, uuid, "careline-main-menu", "1")
    await center.answer(caller, uuid, "careline-appointments-menu", "2")
    await center.answer(caller, uuid, "careline-enter-card", card[1:] + "#")
    await center.answer(caller, uuid, "careline-enter-confirmation-code", code)
    await center.hears(uuid, "已取消", within=40)
    row = (await crm.get(f"/v1/appointments/{booked['id']}")).json()
    assert row["status"] == "cancelled"
    await center.answer(caller, uuid, "careline-after-service", "#", within=60)
    await center.board.ended(uuid, within=40)
    print("Application-Response:", _no_playback_error(center, uuid))


@pytest.mark.timeout(300)
async def test_an_experts_name_and_a_drugs_information_are_spoken(center):
    """R-INFO1: texts from the CRM spoken by mod_tts_commandline (espeak-ng, Mandarin voice) and heard."""
    caller, uuid = await center.call("13700000102")
    await center.answer(caller, uuid, "careline-main-menu", "2")
    await center.answer(caller, uuid, "careline-information-menu", "2")
    await center.answer(caller, uuid, "careline-enter-expert-number", "1#")
    expert = await center.hears(uuid, "李建国")
    assert expert.get("Playback-File-Path").startswith("tts://tts_commandline|cmn|李建国")
    stop = await center.stopped(uuid, expert)
    spoken = caller.media.between(expert.at, stop.at)
    print(f"expert: {stop.at - expert.at:.1f} s, {len(spoken)} RTP, {caller.media.audible(spoken)} audible")
    assert caller.media.audible(spoken) > 50

    await center.answer(caller, uuid, "careline-after-information", "#", after_s=0.5)
    await center.answer(caller, uuid, "careline-information-menu", "3")
    await center.answer(caller, uuid, "careline-enter-drug-number", "1002#")
    drug = await center.hears(uuid, "缓解轻至中度疼痛")
    stop = await center.stopped(uuid, drug)
    spoken = caller.media.between(drug.at, stop.at)
    print(f"drug: {stop.at - drug.at:.1f} s, {len(spoken)} RTP, {caller.media.audible(spoken)} audible")
    assert caller.media.audible(spoken) > 50
    print("Application-Response:", _no_playback_error(center, uuid))
    await center.hang_up(uuid)

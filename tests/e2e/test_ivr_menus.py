"""Callers walk the hospital flow on the simulator (R-IVR1–R-IVR5, R-VIP2, R-ACD2): keys, silence, wrong
keys, `*` to repeat, `0` to a human, a VIP skipping the menu; a new version published while a call is
in progress changes the next call only (R-IVR4).

Real nats-server, the simulator, the real IVR app over its outbound socket; the ACD and the CRM are
stand-ins answering on their NATS subjects, so the test sees the EnqueueRequest exactly as the IVR sent
it. Menu prompts are uploaded as WAVs through the prompts API (the simulator splits play_and_get_digits
arguments on spaces, so TTS text cannot be a menu prompt there).
"""

from __future__ import annotations

import asyncio
import io
import wave
from contextlib import AsyncExitStack

import pytest

from careline import subjects
from careline.ivr.app import create_app
from careline.ivr.settings import IvrSettings
from careline.switchsim import CallerScript
from careline.v1.acd_pb2 import EnqueueReply, EnqueueRequest
from careline.v1.crm_pb2 import CallerLookupReply, CallerLookupRequest
from tests.e2e.support import running, start_switch

S = CallerScript
VIP_NUMBER = "13900000888"
MENU_PROMPTS = ("main_menu", "information_menu", "after_information", "appointments_menu", "enter_card")


def _wav() -> bytes:
    out = io.BytesIO()
    with wave.open(out, "wb") as w:
        w.setnchannels(1), w.setsampwidth(2), w.setframerate(8000)
        w.writeframes(b"\x00\x00" * 800)
    return out.getvalue()


@pytest.fixture
async def line(tmp_path, nats_url, bus):
    """(switch, ivr client, enqueue requests by call uuid)."""
    enqueued: dict[str, EnqueueRequest] = {}

    async def acd(request: EnqueueRequest) -> EnqueueReply:
        enqueued[request.call_uuid] = request
        return EnqueueReply(accepted=True, position=1)

    async def crm(request: CallerLookupRequest) -> CallerLookupReply:
        if request.number == VIP_NUMBER:
            return CallerLookupReply(
                found=True, vip=True, patient_id="p-vip", full_name="Zhao Min", vip_level="2"
            )
        return CallerLookupReply(found=False)

    await bus.serve(subjects.ACD_ENQUEUE, acd, request_type=EnqueueRequest)
    await bus.serve(subjects.CRM_CALLER_LOOKUP, crm, request_type=CallerLookupRequest)
    async with AsyncExitStack() as stack:
        sw = await start_switch(stack, 0.05)
        settings = IvrSettings(
            env="test", data_dir=tmp_path, nats_url=nats_url, socket_port=0, log_json=False
        )
        app = create_app(settings)
        client = await stack.enter_async_context(running(app))
        for name in MENU_PROMPTS:
            files = {"file": (f"{name}.wav", _wav(), "audio/wav")}
            assert (await client.put(f"/v1/prompts/{name}/en/wav", files=files)).status_code == 200
        sw.set_inbound_socket("127.0.0.1", app.state.socket_port)
        yield sw, client, enqueued


async def _call(sw, enqueued, script, caller="13800000001") -> EnqueueRequest:
    uuid = await sw.place_call(caller, "95000", script)
    for _ in range(400):
        if uuid in enqueued:
            break
        await asyncio.sleep(0.025)
    assert uuid in enqueued, f"call {uuid} never reached the ACD: {sw.calls[uuid]}"
    sw.hangup(uuid, "NORMAL_CLEARING")  # the stand-in ACD would bridge it; here the caller is done
    await asyncio.wait_for(sw.calls[uuid].done.wait(), 10)
    return enqueued[uuid]


def _menu(*keys_and_waits) -> list:
    """Wait for the first prompt, then (key, simulated seconds to wait before it) pairs."""
    steps = [S.wait_for("PLAYBACK_START")]
    for key, wait in keys_and_waits:
        steps += [S.wait(wait), S.press(key)]
    return steps


async def test_information_then_star_repeats_then_zero_reaches_a_human(line):
    sw, client, enqueued = line
    # main menu: 2; information menu: 1; the hospital introduction (~5 s of TTS), then the follow-up
    # menu: * hears it again; 0 reaches a human.
    script = S([*_menu(("2", 0.5), ("1", 0.5), ("*", 6.5), ("0", 6.5)), S.wait(30)])
    request = await _call(sw, enqueued, script)
    data = request.call_data
    assert request.queue == "general" and not request.vip
    assert (data["intent"], data["main_choice"], data["information_item"]) == ("information", "2", "1")
    assert (
        data["ivr_reason"] == "key_0" and data["ivr_flow"] == "hospital" and data["ivr_flow_version"] == "1"
    )
    # main menu, information menu, introduction, follow-up, introduction again, follow-up again
    assert sw.calls[request.call_uuid].events.count("PLAYBACK_START") == 6
    metrics = (await client.get("/metrics")).text
    assert 'careline_ivr_menu_choices_total{choice="repeat"} 1.0' in metrics


async def test_appointment_card_number_travels_with_the_call(line):
    sw, _, enqueued = line
    script = S([*_menu(("1", 0.5), ("1", 0.5), ("12345678#", 0.5)), S.wait(30)])
    request = await _call(sw, enqueued, script)
    assert request.queue == "general" and list(request.skills) == ["appointments"]
    assert request.call_data["card_number"] == "12345678" and request.call_data["intent"] == "appointment"


@pytest.mark.parametrize(
    ("steps", "choices"),
    [
        (_menu(("5", 0.5), ("7", 3.0)), ("invalid", "invalid")),  # wrong keys twice
        ([S.wait(30)], ("none", "none")),  # silence twice (an elderly caller)
        (_menu(("7", 0.5)), ("invalid", "none")),  # a wrong key, then silence
    ],
)
async def test_two_failed_inputs_reach_a_human_never_a_cut_off(line, steps, choices):
    sw, client, enqueued = line
    request = await _call(sw, enqueued, S([*steps, S.wait(30)]))
    assert request.queue == "general" and request.call_data["ivr_reason"] == "input_failed"
    assert sw.calls[request.call_uuid].hangup_cause == "NORMAL_CLEARING"  # ended by the test, not the IVR
    metrics = (await client.get("/metrics")).text
    for choice in set(choices):
        count = choices.count(choice)
        assert f'careline_ivr_menu_choices_total{{choice="{choice}"}} {count}.0' in metrics


async def test_a_vip_skips_the_menu_into_the_vip_queue(line):
    sw, _, enqueued = line
    request = await _call(sw, enqueued, S([S.wait(30)]), caller=VIP_NUMBER)
    assert (request.queue, request.vip, request.priority) == ("vip", True, 100)
    assert request.call_data["patient_id"] == "p-vip" and request.call_data["ivr_reason"] == "vip"
    assert "PLAYBACK_START" not in sw.calls[request.call_uuid].events  # no menu at all


async def test_a_new_version_changes_the_next_call_while_the_call_in_progress_keeps_its_own(line):
    sw, client, enqueued = line
    # The first caller is in the main menu (pressing 0 only later) when version 2 is published.
    first = await sw.place_call(
        "13800000002", "95000", S([S.wait_for("PLAYBACK_START"), S.wait(6.0), S.press("0"), S.wait(30)])
    )
    assert await sw.wait_call_event(first, "PLAYBACK_START", 20)
    v1 = (await client.get("/v1/flows/hospital/versions/1")).json()
    v1["nodes"]["human"]["queue"] = "general-v2"
    r = await client.post("/v1/flows/hospital/versions", json={"definition": v1, "comment": "new desk"})
    assert r.status_code == 201, r.text
    assert (await client.post("/v1/flows/hospital/publish", json={"version": 2})).status_code == 200
    assert first not in enqueued, "the first caller was to choose after the publication"

    for _ in range(400):
        if first in enqueued:
            break
        await asyncio.sleep(0.025)
    assert enqueued[first].queue == "general" and enqueued[first].call_data["ivr_flow_version"] == "1"
    sw.hangup(first, "NORMAL_CLEARING")
    second = await _call(sw, enqueued, S([*_menu(("0", 0.5)), S.wait(30)]))
    assert second.queue == "general-v2" and second.call_data["ivr_flow_version"] == "2"

    assert (await client.post("/v1/flows/hospital/rollback")).json()["published_version"] == 1
    third = await _call(sw, enqueued, S([*_menu(("0", 0.5)), S.wait(30)]))
    assert third.queue == "general"

"""Paid services through the IVR end to end (issue 5; R-REG4, R-EXP1-R-EXP4, R-VIP3, R-ACD7; design §3).

Real nats-server, the FreeSWITCH simulator (20x faster) and the real ivr, acd, crm, cdr and billing apps,
with the demo hospital in the CRM and the default hospital flow. Callers key what a caller would, each
key once the question is being played (the simulator's PLAYBACK_START paths are the TTS texts heard).
Times are simulated seconds from the simulator's clock.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import itertools
import secrets
from contextlib import AsyncExitStack
from zoneinfo import ZoneInfo

import pytest

from careline import subjects
from careline.prompts.units import say_yuan
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
from tests.e2e.test_hospital_services import Ear, describe

TIME_SCALE = 0.05
GRACE = 5
PIN = "2468"
HOLD_EXT = "careline-acd-hold"  # the ACD moves a caller here before the end prompt (call_end.py)
_cards = itertools.count(1)


@pytest.fixture
async def center(tmp_path, nats_url):
    from careline.acd.app import create_app as acd_app
    from careline.acd.settings import AcdSettings
    from careline.billing.app import create_app as billing_app
    from careline.billing.settings import BillingSettings

    async with AsyncExitStack() as stack:
        # the simulator's park returns after a broadcast
        sw = await start_switch(stack, TIME_SCALE, dialplan=[(HOLD_EXT, [("park", "")] * 50)])
        ear = Ear(sw)
        clients = await start_crm_and_cdr(stack, tmp_path, nats_url, sw)
        billing_settings = BillingSettings(
            **service_settings(tmp_path, "billing", nats_url, sw),
            pin_scrypt_n=2**10,
            max_pin_attempts=3,
            time_scale=TIME_SCALE,
            consultation_grace_s=GRACE,
        )
        clients["billing"] = await stack.enter_async_context(running(billing_app(billing_settings)))
        acd_settings = AcdSettings(
            **service_settings(tmp_path, "acd", nats_url, sw), tick_s=0.05, goodbye_s=2
        )
        clients["acd"] = await stack.enter_async_context(running(acd_app(acd_settings)))
        _, clients["ivr"] = await start_ivr(stack, tmp_path, nats_url, sw)
        await wait_ready(clients)
        yield sw, ear, clients


async def _card(clients, balance_fen: int, vip_level: int = 0) -> str:
    """A CRM patient holding a prepaid card (digits only: keyed on the phone) with ``balance_fen``."""
    number = f"77{next(_cards):03d}{secrets.randbelow(10**4):04d}"
    r = await clients["crm"].post("/v1/patients", json={"name": f"患者{number}", "card_numbers": [number]})
    assert r.status_code == 201, r.text
    sale = {
        "idempotency_key": f"sale-{number}",
        "card_number": number,
        "patient_id": r.json()["id"],
        "pin": PIN,
        "opening_balance_fen": balance_fen,
        "vip_level": vip_level,
    }
    r = await clients["billing"].post("/v1/cards", json=sale)
    assert r.status_code == 201, r.text
    return number


async def _billing_card(clients, number: str) -> dict:
    return (await clients["billing"].get(f"/v1/cards/{number}")).json()


async def _sign_in(ear: Ear, uuid: str, card: str, pin: str = PIN) -> None:
    await ear.english(uuid)  # calls start in Mandarin; these callers key 8 for English (issue 8)
    await ear.answer(uuid, "For paid services", "4")
    await ear.answer(uuid, "enter your card number", card + "#")
    await ear.answer(uuid, "card password", pin + "#")


async def _experts(sw: Switch, clients, ended: dict[str, float], talk_time: float | None = None):
    """An expert seat (2001) and an ordinary agent (1001), both free: the expert queue takes only the
    expert seat (R-ACD7)."""
    acd = clients["acd"]
    for queue in ("general", "experts"):
        body = {"max_wait_s": 300, "wrap_up_s": 0, **({"expert": True} if queue == "experts" else {})}
        assert (await acd.put(f"/v1/queues/{queue}", json=body)).status_code == 200
    for agent, ext, expert in (("a1", "1001", False), ("e1", "2001", True)):
        phone = sw.add_phone(ext, PhoneBehaviour(answer_after=2.0, talk_time=talk_time))
        original = phone.ended

        def on_end(ch, original=original) -> None:
            ended[ch.uuid] = ch.core.now()
            original(ch)

        phone.ended = on_end
        body = {"id": agent, "name": agent, "extension": ext, "expert": expert}
        assert (await acd.post("/v1/agents", json=body)).status_code == 201
        assert (await acd.post(f"/v1/agents/{agent}/login")).json()["state"] == "available"


async def _ended(sw: Switch, uuid: str, within: float = 30) -> None:
    await asyncio.wait_for(sw.calls[uuid].done.wait(), within)


async def test_a_formal_registration_paid_in_the_ivr_shows_in_the_statement_and_the_crm(center):
    """R-REG4: card + PIN, department/day/time, the fee announced and confirmed with 1, booked and
    charged, read back with the code; then the balance heard (R-EXP4)."""
    sw, ear, clients = center
    card = await _card(clients, 2000)
    tomorrow = dt.datetime.now(ZoneInfo("Asia/Shanghai")).date() + dt.timedelta(days=1)
    uuid = await sw.place_call("13700000021", "95000")
    await _sign_in(ear, uuid, card)
    await ear.answer(uuid, "For a formal registration, press 1", "1")
    await ear.answer(uuid, "department code", "11#")
    await ear.answer(uuid, "day of your visit", tomorrow.strftime("%Y%m%d"))
    await ear.answer(uuid, "time of your visit", "0800")
    quote = await ear.hears(uuid, "This service costs")
    assert (await _billing_card(clients, card))["balance_fen"] == 2000  # announced, nothing charged yet
    await ear.answer(uuid, "To confirm and pay this fee, press 1", "1")
    await ear.hears(uuid, "Your registration is booked and paid.")
    read_back = await ear.hears(uuid, "您已挂号")
    await ear.hears(uuid, "Your confirmation code is")

    (registration,) = (await clients["billing"].get("/v1/registrations", params={"card_number": card})).json()
    fee = registration["fee_fen"]
    assert fee > 0 and f"{fee // 100}.{fee % 100:02d} yuan" in quote
    code = registration["confirmation_code"]
    await ear.hears(uuid, f"units:{' '.join(code)}")  # recorded digits (issue 8)
    assert ear.since(uuid, "Your confirmation code is")[1] == f"units:{' '.join(code)}"
    assert registration["state"] == "booked" and "内科" in read_back
    statement = (await clients["billing"].get(f"/v1/cards/{card}/statement")).json()
    assert statement["balance_fen"] == 2000 - fee
    assert [i["amount_fen"] for i in statement["items"] if i["amount_fen"] < 0] == [-fee]
    appointments = (await clients["crm"].get("/v1/appointments", params={"card": card})).json()["items"]
    assert [a["confirmation_code"] for a in appointments] == [code]

    await ear.answer(uuid, "For more paid services, press 1", "1")
    await ear.answer(uuid, "To hear your balance, press 3", "3")
    left = 2000 - fee
    await ear.hears(uuid, "Your card balance is")
    await ear.hears(uuid, describe("file_string://" + "!".join(say_yuan(left, "en")), "en"))  # in units
    sw.hangup(uuid)
    await _ended(sw, uuid)


async def test_a_paid_consultation_tariff_first_expert_seat_metered_and_cut_when_credit_runs_out(center, bus):
    """R-EXP1-R-EXP3, R-ACD7: the tariff is heard before anything is held; 1 confirms; the authorisation
    travels in the call data to an expert seat; billing meters from the expert's answer, and when the
    credit runs out the ACD ends the call: the expert's leg at that moment (within 1 s), the caller after
    the end prompt, before billing's backstop."""
    sw, ear, clients = center
    ended: dict[str, float] = {}
    await _experts(sw, clients, ended)
    pops: list[AgentOffered] = []

    async def pop(message: AgentOffered) -> None:
        pops.append(message)

    for agent in ("a1", "e1"):
        await bus.subscribe(subjects.agent_screenpop(agent), pop, msg_type=AgentOffered)
    card = await _card(clients, 450)  # 2 minutes at the default 2 CNY per minute, 50 fen left
    uuid = await sw.place_call("13700000022", "95000")
    await _sign_in(ear, uuid, card)
    await ear.answer(uuid, "For an expert consultation, press 2", "2")
    await ear.answer(uuid, "For internal medicine, press 1", "1")
    tariff = await ear.hears(uuid, "per minute of talk time")
    assert "2.00 yuan" in tariff and "only when the expert answers" in tariff
    assert (await _billing_card(clients, card))["balance_fen"] == 450  # R-EXP2: heard before any charge
    await ear.answer(uuid, "To accept these charges", "1")
    await ear.hears(uuid, "Please hold for the next available expert")

    await _ended(sw, uuid, 60)
    assert sw.calls[uuid].bridged_to == "2001"  # the expert seat, not the free ordinary agent
    ((offer),) = pops
    data = offer.screen_pop
    assert (offer.agent_id, offer.queue) == ("e1", "experts")
    assert data["consultation_authorised"] == "true" and data["consultation_allowed_seconds"] == "120"
    assert data["consultation_free"] == "false" and data["expert_category"] == "internal"
    assert "pin" not in data and PIN not in "".join(data.values())

    history = sw.phones["2001"].history[-1]
    should_end = history["answered_at"] + 120
    assert abs(ended[history["uuid"]] - should_end) <= 1.0, (ended[history["uuid"]], should_end)
    assert "ivr/careline-call-ended.wav" in ear.heard[uuid]  # the end prompt, then the hang-up
    assert should_end < sw.calls[uuid].ended_at < should_end + GRACE  # the ACD, not the backstop

    # Metered: two minutes held at the authorisation (after the confirmation) and debited in the interim.
    statement = (await clients["billing"].get(f"/v1/cards/{card}/statement")).json()
    assert statement["balance_fen"] == 50
    kinds = [i["kind"] for i in statement["items"]]
    assert "consultation_hold" in kinds, kinds
    (hold,) = [i for i in statement["items"] if i["kind"] == "consultation_hold"]
    assert hold["amount_fen"] == -400


async def test_a_vip_card_consults_free(center):
    """R-VIP3, R-EXP5: a VIP card skips the payment — no tariff, nothing held or charged."""
    sw, ear, clients = center
    ended: dict[str, float] = {}
    await _experts(sw, clients, ended, talk_time=30.0)
    card = await _card(clients, 0, vip_level=2)
    uuid = await sw.place_call("13700000023", "95000")  # not the VIP's registered phone: card + PIN
    await _sign_in(ear, uuid, card)
    await ear.answer(uuid, "For an expert consultation, press 2", "2")
    await ear.answer(uuid, "For internal medicine, press 1", "1")
    await ear.hears(uuid, "As a VIP, your consultation is free of charge.")
    await _ended(sw, uuid, 60)
    assert sw.calls[uuid].bridged_to == "2001"
    assert not any("per minute" in p for p in ear.heard[uuid])

    async def settled() -> bool:
        items = (await clients["billing"].get(f"/v1/cards/{card}/statement")).json()["items"]
        return any(i["kind"] == "expert_consultation" for i in items) or items == []

    await wait_until(settled, 15, "the statement")
    statement = (await clients["billing"].get(f"/v1/cards/{card}/statement")).json()
    assert statement["balance_fen"] == 0 and all(i["amount_fen"] >= 0 for i in statement["items"])


async def test_three_wrong_pins_lock_the_card_and_the_caller_hears_so(center):
    """R-REG4: a wrong PIN is said with the attempts left and asked again; the third locks the card."""
    sw, ear, clients = center
    card = await _card(clients, 1000)
    uuid = await sw.place_call("13700000024", "95000")
    await ear.english(uuid)
    await ear.answer(uuid, "For paid services", "4")
    await ear.answer(uuid, "enter your card number", card + "#")
    for wrong, left in (("1111", 2), ("2222", 1)):
        await ear.answer(uuid, "card password", wrong + "#")
        await ear.hears(uuid, f"units:{left}")  # after "Attempts left before the card locks:"
        said = ear.said[uuid]
        assert "Attempts left before the card locks" in said[said.index(f"units:{left}") - 1]
    await ear.answer(uuid, "card password", "3333#")
    await ear.hears(uuid, "Your card is locked after too many wrong passwords")
    state = await _billing_card(clients, card)
    assert state["locked"] and state["pin_attempts_left"] == 0
    await ear.answer(uuid, "To end the call, press pound", "#")
    await _ended(sw, uuid)
    assert ear.heard[uuid][-1] == "ivr/careline-goodbye.wav"

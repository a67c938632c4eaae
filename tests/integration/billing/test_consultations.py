"""Paid consultations, the money side (R-EXP3, R-EXP5, R-VIP3; design §5): hold, interim debits, and
the final rating from the CDR reconciled without double charging."""

from __future__ import annotations

import pytest

from careline.billing.authorisation import Consultations
from careline.billing.errors import InsufficientFunds


@pytest.fixture
def consultations(billing):
    return Consultations(billing.sessions, billing.settings, billing.plan)


async def _balance(billing, card):
    return (await billing.card_info(card))["balance_fen"]


async def test_hold_interim_and_settlement_charge_exactly_once(billing, sell, consultations):
    card = await sell(1050)  # 5 whole minutes at 2 CNY, 50 fen left over
    auth = await consultations.authorise(call_uuid="call-1", card_number=card)
    assert (auth.allowed_seconds, auth.hold_fen, auth.free) == (300, 1000, False)
    assert await _balance(billing, card) == 50
    assert "2.00" in auth.tariff_text
    again = await consultations.authorise(call_uuid="call-1", card_number=card)
    assert again == auth and await _balance(billing, card) == 50  # the IVR retried: one hold

    for minute in (1, 2, 2):  # minute 2 replayed
        await consultations.debit_minute("call-1", minute)
    settled = await consultations.settle("call-1", billsec=130, cdr_uuid="expert-leg")
    assert (settled["charge_fen"], settled["interim_fen"]) == (600, 400)  # 3 started minutes
    assert await _balance(billing, card) == 1050 - 600
    late = await consultations.debit_minute("call-1", 3)  # a timer that fired after the CDR
    assert late["skipped"] == "settled" and await _balance(billing, card) == 450
    assert (await consultations.settle("call-1", billsec=130, cdr_uuid="expert-leg")) == settled


async def test_a_consultation_the_expert_drops_at_once_is_not_charged(billing, sell, consultations):
    card = await sell(400)
    await consultations.authorise(call_uuid="call-2", card_number=card)
    await consultations.debit_minute("call-2", 1)  # interim debits are refunded by the settlement
    settled = await consultations.settle("call-2", billsec=5)
    assert settled["charge_fen"] == 0 and settled["not_charged_short"]
    assert await _balance(billing, card) == 400


async def test_vip_consults_free_and_a_poor_card_is_refused(billing, sell, consultations):
    vip = await sell(0, vip_level=2)
    auth = await consultations.authorise(call_uuid="call-3", card_number=vip)
    assert auth.free and auth.hold_fen == 0 and auth.allowed_seconds == billing.settings.consultation_max_s
    assert (await consultations.settle("call-3", billsec=600))["charge_fen"] == 0
    poor = await sell(199)
    with pytest.raises(InsufficientFunds):
        await consultations.authorise(call_uuid="call-4", card_number=poor)
    assert await _balance(billing, poor) == 199


async def test_charge_never_exceeds_the_hold(billing, sell, consultations):
    card = await sell(400)
    await consultations.authorise(call_uuid="call-5", card_number=card)
    settled = await consultations.settle(
        "call-5", billsec=125, cdr_uuid="cdr-5", expert="e1", answered_at=1_700_000_000
    )  # 5 s of backstop grace past 2 minutes
    assert settled["charge_fen"] == 400 and await _balance(billing, card) == 0
    # R-EXP4: the consultation is a statement line even though it moved nothing more on the card.
    statement = await billing.statement(card)
    assert [i["kind"] for i in statement["items"]] == [
        "card_sale",
        "consultation_hold",
        "expert_consultation",
    ]
    line = statement["items"][-1]
    assert (line["amount_fen"], line["balance_fen"]) == (0, 0)
    assert {k: line["detail"][k] for k in ("cdr_uuid", "billed_seconds", "price_fen", "charge_fen")} == {
        "cdr_uuid": "cdr-5",
        "billed_seconds": 125,
        "price_fen": 200,
        "charge_fen": 400,
    }
    assert line["detail"]["expert_answered_at"] == 1_700_000_000 and line["detail"]["expert"] == "e1"


async def test_a_free_consultation_is_a_statement_line_of_zero(billing, sell, consultations):
    vip = await sell(0, vip_level=2)
    await consultations.authorise(call_uuid="call-6", card_number=vip)
    await consultations.settle("call-6", billsec=300, cdr_uuid="cdr-6")
    (line,) = (await billing.statement(vip))["items"]
    assert line["kind"] == "expert_consultation" and line["amount_fen"] == 0
    assert line["detail"]["free"] and line["detail"]["charge_fen"] == 0

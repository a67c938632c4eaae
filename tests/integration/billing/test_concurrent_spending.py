"""Concurrent top-ups, registrations, consultations and conference seats on ONE card account never
over-spend it (issue 5 "done when"; R-ACC1, R-REG4, R-EXP3, R-EXP6; design §5). SQLite file, and
PostgreSQL when CARELINE_TEST_PG_URL is set (the `db_url` fixture).

Every operation runs at once through the real domain; refusals for lack of funds are expected answers.
Afterwards: every running balance of the card (postings in the order they were written under the
account lock) is >= 0, every transaction sums to zero, nothing stays held, and the balance is exactly
opening + top-ups - registration fees - consultation charges."""

from __future__ import annotations

import asyncio
import datetime as dt
import random

from sqlalchemy import func, select

from careline.billing import ledger, rating
from careline.billing.authorisation import Consultations
from careline.billing.errors import DomainError
from careline.billing.models import Posting
from careline.billing.registration import RegistrationRequest, Registrations
from tests.fixtures.billing_registration import FakeClock, FakeSeats

START = dt.datetime(2026, 3, 10, 1, 0, tzinfo=dt.UTC)
VISIT = dt.datetime(2026, 3, 10, 2, 0, tzinfo=dt.UTC)
OPENING = 1500


async def test_concurrent_top_ups_registrations_and_consultations_never_overspend(billing, sell):
    card = await sell(OPENING)
    account = (await billing.card_info(card))["account_id"]
    regs = Registrations(billing, FakeSeats(VISIT, capacity=100), clock=FakeClock(START))
    consults = Consultations(billing.sessions, billing.settings, billing.plan)
    rng = random.Random(5)

    async def top_up(i: int) -> int:
        await billing.adjust(key=f"top-{i}", card_number=card, amount_fen=300, reason="top-up", admin_id="a")
        return 300

    async def pay_out(i: int) -> int:  # an admin's downward correction: checked only by the ledger
        await billing.adjust(
            key=f"out-{i}", card_number=card, amount_fen=-400, reason="pay-out", admin_id="a"
        )
        return -400

    async def register(i: int) -> int:
        request = RegistrationRequest(
            idempotency_key=f"reg-{i}", card_number=card, pin="1234", department_code="11", slot_id="slot-1"
        )
        return -(await regs.register(request))["fee_fen"]

    async def consult(i: int, service: str = rating.EXPERT_CONSULTATION) -> int:
        call = f"call-{service}-{i}"
        await consults.authorise(call_uuid=call, card_number=card, service=service)
        for minute in (1, 2):
            await consults.debit_minute(call, minute)
            await asyncio.sleep(0)
        settled = await consults.settle(call, billsec=rng.choice([5, 70, 130, 400]), cdr_uuid=f"cdr-{i}")
        return -settled["charge_fen"]

    async def seat(i: int) -> int:
        return await consult(i, rating.CONFERENCE_SPEAKER)

    ops = [top_up] * 6 + [pay_out] * 6 + [register] * 8 + [consult] * 10 + [seat] * 6
    rng.shuffle(ops)
    answers = await asyncio.gather(*(op(i) for i, op in enumerate(ops)), return_exceptions=True)

    # A refusal for lack of funds is a 402: InsufficientFunds, or the registration saga's compensation
    # when the balance moved between its quote and its charge (seen on PostgreSQL).
    refused = [a for a in answers if isinstance(a, DomainError) and a.status_code == 402]
    unexpected = [a for a in answers if isinstance(a, BaseException) and a not in refused]
    assert unexpected == []
    moved = sum(a for a in answers if isinstance(a, int))
    assert refused, "the card should run dry: the test must contend for money"
    assert (await billing.card_info(card))["balance_fen"] == OPENING + moved >= 0

    async with billing.sessions() as session:
        amounts = await session.scalars(
            select(Posting.amount_fen).where(Posting.account_id == account).order_by(Posting.id)
        )
        running, lowest = 0, 0
        for amount in amounts:
            running += amount
            lowest = min(lowest, running)
        assert lowest == 0 and running == OPENING + moved  # never below zero at any point
        total = await session.scalar(select(func.coalesce(func.sum(Posting.amount_fen), 0)))
        held = await session.scalar(
            select(func.coalesce(func.sum(Posting.amount_fen), 0)).where(Posting.account_id == ledger.HOLDS)
        )
    assert total == 0 and held == 0  # balanced, and every hold settled away

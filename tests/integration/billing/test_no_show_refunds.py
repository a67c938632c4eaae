"""No-show refunds (R-REG5): at the end of the registration's day on the hospital's clock, a formal
registration not checked in expires and its fee goes back to the card — exactly once, with two billing
instances sweeping at the same time and after downtime (catch-up). A controllable clock drives it."""

from __future__ import annotations

import asyncio
import datetime as dt

import pytest

from careline.billing.domain import Billing
from careline.billing.refunds import NoShowRefunds
from careline.billing.registration import RegistrationRequest, Registrations
from careline.core.db import make_engine, session_factory
from tests.fixtures.billing import billing_settings
from tests.fixtures.billing_registration import FakeClock, FakeSeats

START = dt.datetime(2026, 3, 10, 1, 0, tzinfo=dt.UTC)  # 09:00 in Asia/Shanghai
VISIT = dt.datetime(2026, 3, 10, 2, 0, tzinfo=dt.UTC)  # 10:00 local; the day ends 16:00 UTC


@pytest.fixture
def clock():
    return FakeClock(START)


@pytest.fixture
def seats():
    return FakeSeats(VISIT, capacity=10)


@pytest.fixture
def regs(billing, seats, clock):
    return Registrations(billing, seats, clock=clock)


async def register(regs, card: str, key: str) -> dict:
    request = RegistrationRequest(
        idempotency_key=key, card_number=card, pin="1234", department_code="11", slot_id="slot-1"
    )
    return await regs.register(request)


async def balance(billing, card: str) -> int:
    return (await billing.card_info(card))["balance_fen"]


async def refunds_of(billing, card: str) -> list[dict]:
    return [i for i in (await billing.statement(card))["items"] if i["kind"] == "registration_refund"]


async def test_refund_at_the_end_of_the_local_day_exactly_once(regs, billing, sell, clock):
    card = await sell(2000)
    row = await register(regs, card, "nr-1")
    sweeper = NoShowRefunds(regs)
    clock.now = dt.datetime(2026, 3, 10, 15, 59, 59, tzinfo=dt.UTC)  # 23:59:59 local
    assert (await sweeper.sweep()).refunded == []
    clock.now = dt.datetime(2026, 3, 10, 16, 0, tzinfo=dt.UTC)  # midnight local
    assert (await sweeper.sweep()).refunded == [row["id"]]
    assert (await sweeper.sweep()).refunded == []
    assert await balance(billing, card) == 2000
    (refund,) = await refunds_of(billing, card)
    assert refund["amount_fen"] == 500 and refund["detail"]["registration_id"] == row["id"]
    assert (await regs.get(row["id"]))["state"] == "refunded"


async def test_the_hospital_time_zone_is_configurable(billing, sell, seats, clock):
    billing.settings = billing.settings.model_copy(update={"hospital_timezone": "UTC"})
    regs = Registrations(billing, seats, clock=clock)
    card = await sell(2000)
    row = await register(regs, card, "nr-utc")
    assert row["expires_at"] == dt.datetime(2026, 3, 11, 0, 0, tzinfo=dt.UTC)
    clock.now = dt.datetime(2026, 3, 10, 16, 0, tzinfo=dt.UTC)
    assert (await NoShowRefunds(regs).sweep()).refunded == []  # Shanghai's midnight is not UTC's


async def test_checked_in_registrations_are_not_refunded(regs, billing, sell, seats, clock):
    card = await sell(3000)
    at_desk = await register(regs, card, "nr-desk")
    await seats.check_in(at_desk["id"])  # checked in at a CRM desk, not through billing
    clock.now = dt.datetime(2026, 3, 11, 1, 0, tzinfo=dt.UTC)
    report = await NoShowRefunds(regs).sweep()
    assert report.checked_in == [at_desk["id"]] and report.refunded == []
    assert (await regs.get(at_desk["id"]))["state"] == "checked_in"
    assert await balance(billing, card) == 2500


async def test_crm_silent_postpones_then_refunds(regs, billing, sell, seats, clock):
    card = await sell(2000)
    row = await register(regs, card, "nr-late")
    clock.now = dt.datetime(2026, 3, 11, 1, 0, tzinfo=dt.UTC)
    seats.status_unavailable = True
    assert (await NoShowRefunds(regs).sweep()).postponed == [row["id"]]
    assert await balance(billing, card) == 1500
    seats.status_unavailable = False
    assert (await NoShowRefunds(regs).sweep()).refunded == [row["id"]]
    assert await balance(billing, card) == 2000


async def test_two_instances_sweeping_at_once_after_downtime_refund_each_once(
    db_url, regs, billing, sell, seats, clock
):
    cards = [await sell(2000) for _ in range(4)]
    rows = [await register(regs, card, f"nr-many-{i}") for i, card in enumerate(cards)]
    engine = make_engine(db_url)  # a second billing instance: its own engine, same database
    try:
        other = Billing(session_factory(engine), billing_settings(db_url))
        second = NoShowRefunds(Registrations(other, seats, clock=clock))
        clock.advance(days=3)  # both were down for days: the first sweep catches up
        first_report, second_report = await asyncio.gather(NoShowRefunds(regs).sweep(), second.sweep())
    finally:
        await engine.dispose()
    refunded = first_report.refunded + second_report.refunded
    assert sorted(refunded) == sorted(r["id"] for r in rows)  # each exactly once between the two
    for card in cards:
        assert await balance(billing, card) == 2000 and len(await refunds_of(billing, card)) == 1


async def test_the_periodic_runner_sweeps_at_start(regs, billing, sell, clock):
    card = await sell(2000)
    await register(regs, card, "nr-run")
    clock.advance(days=1)
    async with NoShowRefunds(regs).running(period_s=3600):
        for _ in range(200):
            if await balance(billing, card) == 2000:
                break
            await asyncio.sleep(0.01)
    assert await balance(billing, card) == 2000

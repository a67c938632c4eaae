"""Formal (paid) registration as a saga (R-REG4, R-VIP3): seat and charge together or not at all, at
whichever step it fails — including a crash at every step, finished by recovery — and a retry with the
same idempotency key never charges twice. SQLite file (and PostgreSQL); the CRM is a fake seat book."""

from __future__ import annotations

import asyncio
import datetime as dt

import pytest

from careline.billing import ledger
from careline.billing.errors import DomainError
from careline.billing.registration import RegistrationRequest, Registrations
from tests.fixtures.billing_registration import FakeClock, FakeSeats

START = dt.datetime(2026, 3, 10, 1, 0, tzinfo=dt.UTC)  # 09:00 in Asia/Shanghai
VISIT = dt.datetime(2026, 3, 10, 2, 0, tzinfo=dt.UTC)  # 10:00 local


class Crash(BaseException):
    """A process dying at a step: nothing after it runs (BaseException: no handler catches it)."""


@pytest.fixture
def clock():
    return FakeClock(START)


@pytest.fixture
def seats():
    return FakeSeats(VISIT, capacity=3)


@pytest.fixture
def regs(billing, seats, clock):
    return Registrations(billing, seats, clock=clock)


def ask(card: str, key: str = "k1", **extra) -> RegistrationRequest:
    return RegistrationRequest(
        idempotency_key=key, card_number=card, pin="1234", department_code="11", slot_id="slot-1", **extra
    )


async def charges(billing, card: str) -> list[dict]:
    return [i for i in (await billing.statement(card))["items"] if i["kind"] == "registration"]


async def balance(billing, card: str) -> int:
    return (await billing.card_info(card))["balance_fen"]


async def test_booked_and_charged_once_and_a_retry_answers_the_same(regs, billing, sell, seats):
    card = await sell(2000)
    first = await regs.register(ask(card))
    again = await regs.register(ask(card))
    assert first == again and first["state"] == "booked" and first["fee_fen"] == 500
    assert first["local_day"] == dt.date(2026, 3, 10)
    assert first["expires_at"] == dt.datetime(2026, 3, 10, 16, 0, tzinfo=dt.UTC)  # midnight local
    assert await balance(billing, card) == 1500 and len(await charges(billing, card)) == 1
    assert seats.held == 1
    with pytest.raises(DomainError) as other:
        await regs.register(ask(card, day="20260311"))  # same key, another request
    assert other.value.status_code == 409


async def test_concurrent_retries_with_one_key_charge_once(regs, billing, sell, seats):
    card = await sell(2000)
    answers = await asyncio.gather(*(regs.register(ask(card)) for _ in range(5)), return_exceptions=True)
    booked = [a for a in answers if isinstance(a, dict)]
    assert booked and all(a == booked[0] for a in booked)
    assert all(getattr(a, "status_code", 409) == 409 for a in answers if not isinstance(a, dict))
    assert await balance(billing, card) == 1500 and seats.held == 1


async def test_vip_registers_free(regs, billing, sell):
    card = await sell(0, vip_level=1)
    body = await regs.register(ask(card))
    assert body["state"] == "booked" and body["fee_fen"] == 0 and body["charge_transaction_id"] is None


async def test_rate_plan_by_department_sets_the_fee(regs, billing, sell):
    from careline.billing import rating

    await billing.set_plan(rating.Plan(rating.REGISTRATION, "11", 1200), admin_id="admin")
    card = await sell(2000)
    assert (await regs.register(ask(card)))["fee_fen"] == 1200
    assert await balance(billing, card) == 800


async def test_not_enough_money_is_refused_before_any_seat(regs, billing, sell, seats):
    card = await sell(100)
    with pytest.raises(DomainError) as refused:
        await regs.register(ask(card))
    assert refused.value.status_code == 402 and seats.calls == []


async def test_seat_refused_fails_without_charge_and_the_retry_answers_the_same(regs, billing, sell, seats):
    card = await sell(2000)
    seats.hold_refuses = True
    for _ in range(2):
        with pytest.raises(DomainError) as refused:
            await regs.register(ask(card))
        assert refused.value.status_code == 409
    assert await balance(billing, card) == 2000 and seats.calls == [("hold", seats.calls[0][1])]


@pytest.mark.parametrize("knob", ["hold_unavailable", "hold_lost_reply"])
async def test_no_answer_from_the_crm_releases_the_seat_and_charges_nothing(regs, billing, sell, seats, knob):
    card = await sell(2000)
    setattr(seats, knob, True)
    with pytest.raises(DomainError) as failed:
        await regs.register(ask(card))
    assert failed.value.status_code == 503
    assert seats.held == 0 and ("release", seats.calls[0][1]) in seats.calls
    assert await balance(billing, card) == 2000


async def test_funds_gone_between_check_and_charge_releases_the_seat(billing, sell, seats, clock):
    card = await sell(600)

    async def spend_meanwhile(step: str) -> None:
        if step == "seat_recorded":
            await billing.adjust(key="drain", card_number=card, amount_fen=-200, reason="r", admin_id="a")

    regs = Registrations(billing, seats, clock=clock, fault=spend_meanwhile)
    with pytest.raises(DomainError) as refused:
        await regs.register(ask(card))
    assert refused.value.status_code == 402 and seats.held == 0
    assert await balance(billing, card) == 400 and await charges(billing, card) == []


async def test_a_failing_charge_releases_the_seat(regs, billing, sell, seats, monkeypatch):
    card = await sell(2000)

    async def broken_post(*args, **kwargs):
        raise RuntimeError("database went away")

    monkeypatch.setattr(ledger, "post", broken_post)
    with pytest.raises(DomainError) as failed:
        await regs.register(ask(card))
    monkeypatch.undo()
    assert failed.value.status_code == 503 and seats.held == 0
    assert await balance(billing, card) == 2000


async def test_a_failed_release_is_finished_by_recovery(regs, billing, sell, seats, clock):
    card = await sell(2000)
    seats.hold_lost_reply, seats.release_unavailable = True, 1
    with pytest.raises(DomainError):
        await regs.register(ask(card))
    assert seats.held == 1  # the CRM did not answer the release either
    assert await regs.recover() == 0  # the lease still runs
    clock.advance(seconds=31)
    assert await regs.recover() == 1
    assert seats.held == 0 and (await regs.list(card_number=card))[0]["state"] == "failed"
    assert await balance(billing, card) == 2000


@pytest.mark.parametrize("step", ["started", "seat_held", "seat_recorded", "charged"])
async def test_a_crash_at_any_step_is_completed_or_compensated_on_restart(billing, sell, seats, clock, step):
    card = await sell(2000)

    async def crash(at: str) -> None:
        if at == step:
            raise Crash(at)

    with pytest.raises(Crash):
        await Registrations(billing, seats, clock=clock, fault=crash).register(ask(card))
    restarted = Registrations(billing, seats, clock=clock)
    if step != "charged":
        with pytest.raises(DomainError) as busy:  # a retry while the dead worker's lease runs
            await restarted.register(ask(card))
        assert busy.value.status_code == 409
    clock.advance(seconds=31)
    await restarted.recover()
    (row,) = await restarted.list(card_number=card)
    if step == "charged":
        assert row["state"] == "booked" and seats.held == 1
        assert await balance(billing, card) == 1500 and len(await charges(billing, card)) == 1
        assert await restarted.register(ask(card)) == row
    else:
        assert row["state"] == "failed" and seats.held == 0
        assert await balance(billing, card) == 2000 and await charges(billing, card) == []
        with pytest.raises(DomainError) as retried:  # same key, same (failed) answer; no charge
            await restarted.register(ask(card))
        assert retried.value.status_code == 503
    assert await balance(billing, card) in (1500, 2000)

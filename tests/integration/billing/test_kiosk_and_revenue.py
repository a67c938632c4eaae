"""Kiosk rules (R-REG6) and the revenue report (issue 5) on the domain, with a controllable clock:
check-in only on the visit's day and before it ends, twice is the same slip, another card's registration
is not found, a wrong PIN counts; revenue grouped by day, type, department and expert."""

from __future__ import annotations

import datetime as dt

import pytest

from careline.billing.errors import DomainError
from careline.billing.kiosk import Kiosk, slip_html
from careline.billing.refunds import NoShowRefunds
from careline.billing.registration import RegistrationRequest, Registrations
from careline.billing.revenue import revenue_report
from tests.fixtures.billing_registration import FakeClock, FakeSeats

VISIT = dt.datetime(2026, 3, 10, 2, 0, tzinfo=dt.UTC)  # 10:00 Asia/Shanghai


@pytest.fixture
def clock():
    return FakeClock(dt.datetime(2026, 3, 9, 1, 0, tzinfo=dt.UTC))  # the day before, 09:00 local


@pytest.fixture
def seats():
    return FakeSeats(VISIT)


@pytest.fixture
def regs(billing, seats, clock):
    return Registrations(billing, seats, clock=clock)


async def registered(regs, sell, key: str) -> tuple[str, dict]:
    card = await sell(2000)
    body = await regs.register(
        RegistrationRequest(
            idempotency_key=key, card_number=card, pin="1234", department_code="11", slot_id="slot-1"
        )
    )
    return card, body


async def test_check_in_only_on_the_visit_day_and_twice_is_the_same_slip(regs, sell, clock):
    card, row = await registered(regs, sell, "k-day")
    kiosk = Kiosk(regs)
    assert (await kiosk.today(card, "1234"))["registrations"] == []  # not today yet
    with pytest.raises(DomainError) as early:
        await kiosk.check_in(card, "1234", row["id"])
    assert early.value.status_code == 409
    clock.now = dt.datetime(2026, 3, 10, 0, 30, tzinfo=dt.UTC)  # 08:30 on the visit's day
    (listed,) = (await kiosk.today(card, "1234"))["registrations"]
    assert listed["id"] == row["id"]
    slip = await kiosk.check_in(card, "1234", row["id"])
    assert slip == await kiosk.check_in(card, "1234", row["id"])
    assert slip["visit_time"] == "10:00" and slip["card_number_masked"].endswith(card[-4:])
    assert slip["card_number_masked"].startswith("*")
    page = slip_html(slip)
    assert "<script" not in page and slip["confirmation_code"] in page
    clock.advance(days=1)
    assert (await NoShowRefunds(regs).sweep()).refunded == []  # checked in: nothing to give back


async def test_no_check_in_after_the_day_and_strangers_and_wrong_pins_are_refused(regs, sell, clock):
    card, row = await registered(regs, sell, "k-late")
    other, _ = await registered(regs, sell, "k-other")
    kiosk = Kiosk(regs)
    clock.now = dt.datetime(2026, 3, 10, 1, 0, tzinfo=dt.UTC)
    with pytest.raises(DomainError) as stranger:
        await kiosk.check_in(other, "1234", row["id"])
    assert stranger.value.status_code == 404
    with pytest.raises(DomainError) as wrong:
        await kiosk.today(card, "9999")
    assert wrong.value.status_code == 401
    clock.now = dt.datetime(2026, 3, 10, 16, 0, tzinfo=dt.UTC)  # midnight local: the day is over
    with pytest.raises(DomainError) as late:
        await kiosk.check_in(card, "1234", row["id"])
    assert late.value.status_code == 409


async def test_revenue_by_type_department_and_expert(regs, billing, sell, clock):
    _, kept = await registered(regs, sell, "rv-1")
    _, refunded = await registered(regs, sell, "rv-2")
    clock.now = dt.datetime(2026, 3, 10, 1, 0, tzinfo=dt.UTC)
    await regs.seats.check_in(kept["id"])  # at the desk
    clock.advance(days=1)
    report = await NoShowRefunds(regs).sweep()
    assert report.refunded == [refunded["id"]] and report.checked_in == [kept["id"]]
    today = dt.datetime.now(regs.zone).date()
    span = {"start": today - dt.timedelta(days=1), "end": today + dt.timedelta(days=1)}
    by_expert = await revenue_report(
        billing.sessions, **span, zone="Asia/Shanghai", group_by=("type", "department", "expert")
    )
    rows = {(r["type"], r["department"], r["expert"]): r for r in by_expert["rows"]}
    assert rows[("registration", "11", "7")]["amount_fen"] == 1000
    assert rows[("registration", "11", "7")]["expert_name"] == "张医生"
    assert rows[("registration_refund", "11", "7")]["amount_fen"] == -500
    assert by_expert["total_fen"] == 500
    by_day = await revenue_report(billing.sessions, **span, zone="Asia/Shanghai", group_by=("day",))
    assert sum(r["amount_fen"] for r in by_day["rows"]) == 500
    assert all(r["day"] for r in by_day["rows"])
    with pytest.raises(DomainError):
        await revenue_report(billing.sessions, **span, zone="UTC", group_by=("colour",))

"""Seats of paid registrations over NATS (R-REG4–R-REG6): billing's saga holds, releases, checks in and
reads seats by its key; every call idempotent, a release before the hold wins over a late hold."""

from __future__ import annotations

import datetime as dt

from careline import subjects
from careline.v1.crm_pb2 import RegistrationHoldRequest, RegistrationSeatRef, RegistrationSeatReply

DAY = dt.date.today() + dt.timedelta(days=20)


async def clinic(http, *, capacity: int = 1) -> str:
    assert (await http.post("/v1/departments", json={"code": "21", "name": "外科"})).status_code == 201
    schedule = await http.post(
        "/v1/schedules",
        json={
            "department_code": "21",
            "day": DAY.isoformat(),
            "slots": [{"start": "09:00", "end": "09:30", "capacity": capacity}],
        },
    )
    assert schedule.status_code == 201, schedule.text
    await http.post("/v1/patients", json={"name": "李华", "card_numbers": ["R2001"]})
    return schedule.json()["slots"][0]["id"]


async def ask(bus, subject: str, msg) -> RegistrationSeatReply:
    return await bus.request(subject, msg, reply_type=RegistrationSeatReply)


async def test_hold_is_idempotent_by_key_and_release_gives_the_seat_back_once(crm_http, bus):
    slot = await clinic(crm_http, capacity=1)
    hold = RegistrationHoldRequest(key="reg-1", card_number="R2001", department_code="21", slot_id=slot)
    first = await ask(bus, subjects.CRM_REGISTRATION_HOLD, hold)
    again = await ask(bus, subjects.CRM_REGISTRATION_HOLD, hold)
    assert first.ok and first.status == "booked" and first.slot_id == slot
    assert again.appointment_id == first.appointment_id
    other = RegistrationHoldRequest(key="reg-2", card_number="R2001", department_code="21", slot_id=slot)
    assert (await ask(bus, subjects.CRM_REGISTRATION_HOLD, other)).reason in ("slot_full", "conflict")
    for _ in range(2):
        released = await ask(bus, subjects.CRM_REGISTRATION_RELEASE, RegistrationSeatRef(key="reg-1"))
        assert released.ok and released.status == "cancelled"
    retaken = await ask(bus, subjects.CRM_REGISTRATION_HOLD, other)
    assert retaken.ok, retaken.detail  # the one seat came back exactly once


async def test_a_release_before_the_hold_makes_a_late_hold_book_nothing(crm_http, bus):
    slot = await clinic(crm_http, capacity=1)
    early = await ask(bus, subjects.CRM_REGISTRATION_RELEASE, RegistrationSeatRef(key="reg-late"))
    assert early.ok and early.status == "cancelled"
    late = RegistrationHoldRequest(key="reg-late", card_number="R2001", department_code="21", slot_id=slot)
    refused = await ask(bus, subjects.CRM_REGISTRATION_HOLD, late)
    assert not refused.ok and refused.reason == "released"
    seat = RegistrationHoldRequest(key="reg-ok", card_number="R2001", department_code="21", slot_id=slot)
    assert (await ask(bus, subjects.CRM_REGISTRATION_HOLD, seat)).ok  # the seat is still free


async def test_check_in_and_status(crm_http, bus):
    slot = await clinic(crm_http)
    absent = await ask(bus, subjects.CRM_REGISTRATION_STATUS, RegistrationSeatRef(key="reg-c"))
    assert absent.status == "absent"
    hold = RegistrationHoldRequest(key="reg-c", card_number="R2001", department_code="21", slot_id=slot)
    assert (await ask(bus, subjects.CRM_REGISTRATION_HOLD, hold)).ok
    checked = await ask(bus, subjects.CRM_REGISTRATION_CHECKIN, RegistrationSeatRef(key="reg-c"))
    assert checked.ok and checked.status == "checked_in"
    status = await ask(bus, subjects.CRM_REGISTRATION_STATUS, RegistrationSeatRef(key="reg-c"))
    assert status.status == "checked_in" and status.department_code == "21"
    refused = await ask(bus, subjects.CRM_REGISTRATION_RELEASE, RegistrationSeatRef(key="reg-c"))
    assert not refused.ok and refused.reason == "conflict"  # a visit that happened is not undone

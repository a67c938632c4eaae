"""Free appointments over HTTP and NATS (R-REG2 by an agent, R-REG3 by a card holder in the IVR):
capacity under concurrency, cancel, check-in, expiry, read-back."""

from __future__ import annotations

import asyncio
import datetime as dt

from sqlalchemy import update

from careline import subjects
from careline.core.db import make_engine
from careline.crm.models import Appointment
from careline.v1.crm_pb2 import (
    AppointmentBookRequest,
    AppointmentCancelRequest,
    AppointmentReadBackRequest,
    AppointmentReply,
)

DAY = dt.date.today() + dt.timedelta(days=30)


async def hospital(http, *, capacity: int = 5) -> dict:
    """Department 11: an 08:00 slot of `capacity` seats, an 08:30 slot of 1 seat; a card holder."""
    assert (await http.post("/v1/departments", json={"code": "11", "name": "内科"})).status_code == 201
    schedule = await http.post(
        "/v1/schedules",
        json={
            "department_code": "11",
            "day": DAY.isoformat(),
            "slots": [
                {"start": "08:00", "end": "08:30", "capacity": capacity},
                {"start": "08:30", "end": "09:00", "capacity": 1},
            ],
        },
    )
    assert schedule.status_code == 201, schedule.text
    patient = await http.post(
        "/v1/patients",
        json={"name": "王小明", "card_numbers": ["C1001"], "phones": [{"number": "13912345678"}]},
    )
    return {"slots": [s["id"] for s in schedule.json()["slots"]], "patient": patient.json()["id"]}


async def slot_of(http, slot_id: str) -> dict:
    schedules = (await http.get("/v1/schedules")).json()
    return next(s for sch in schedules for s in sch["slots"] if s["id"] == slot_id)


async def test_twenty_concurrent_bookings_fill_a_five_seat_slot_exactly(crm_http):
    h = await hospital(crm_http, capacity=5)
    slot = h["slots"][0]

    async def book(i: int):
        return await crm_http.post("/v1/appointments", json={"caller_name": f"caller {i}", "slot_id": slot})

    answers = await asyncio.gather(*(book(i) for i in range(20)))
    codes = sorted(a.status_code for a in answers)
    assert codes == [201] * 5 + [409] * 15, [a.text for a in answers if a.status_code not in (201, 409)]
    assert all("full" in a.json()["detail"] for a in answers if a.status_code == 409)
    seats = await slot_of(crm_http, slot)
    assert (seats["booked"], seats["free"]) == (5, 0)
    listed = (await crm_http.get("/v1/appointments", params={"status": "booked"})).json()
    assert listed["total"] == 5

    first = next(a.json() for a in answers if a.status_code == 201)
    cancelled = await crm_http.post(f"/v1/appointments/{first['id']}/cancel")
    assert cancelled.status_code == 200 and cancelled.json()["status"] == "cancelled"
    again = await crm_http.post(f"/v1/appointments/{first['id']}/cancel")
    assert again.status_code == 200 and again.json()["status"] == "cancelled"  # idempotent
    assert (await slot_of(crm_http, slot))["booked"] == 4  # the seat came back once


async def test_agent_books_any_caller_by_name_and_time(crm_http):
    h = await hospital(crm_http)
    when = f"{DAY.isoformat()}T10:15:00"
    booked = await crm_http.post(
        "/v1/appointments",
        json={
            "caller_name": "赵大爷",
            "caller_phone": "+86 139 1234 5678",
            "intended_at": when,
            "department_code": "11",
        },
    )
    assert booked.status_code == 201, booked.text
    body = booked.json()
    assert body["caller_phone"] == "13912345678" and body["patient_id"] == h["patient"]  # known by phone
    assert body["intended_at"].startswith(f"{DAY.isoformat()}T02:15:00")  # local 10:15 in UTC
    assert body["status"] == "booked" and len(body["confirmation_code"]) == 6
    assert "10:15内科" in body["read_back"]

    checked = await crm_http.post(f"/v1/appointments/{body['id']}/check-in")
    assert checked.json()["status"] == "checked_in"
    refused = await crm_http.post(f"/v1/appointments/{body['id']}/cancel")
    assert refused.status_code == 409 and "checked_in" in refused.json()["detail"]


async def test_bad_bookings_are_refused_with_a_reason(crm_http):
    h = await hospital(crm_http)
    cases = [
        ({"caller_name": "x"}, 422, "intended_at is required"),
        ({"caller_name": "x", "intended_at": "2001-01-01T08:00:00"}, 422, "in the past"),
        ({"caller_name": "x", "slot_id": "nope"}, 404, "no slot nope"),
        ({"caller_name": "x", "slot_id": h["slots"][0], "caller_phone": "12"}, 422, "neither"),
        ({"caller_name": "", "slot_id": h["slots"][0]}, 422, "invalid request"),
        ({"caller_name": "x", "slot_id": h["slots"][0], "department_code": "99"}, 404, "no department"),
    ]
    for body, status, reason in cases:
        response = await crm_http.post("/v1/appointments", json=body)
        assert response.status_code == status, (body, response.text)
        assert reason in response.text
    by_card = await crm_http.post(
        "/v1/appointments/by-card",
        json={"card_number": "C404", "department_code": "11", "day": DAY.isoformat()},
    )
    assert by_card.status_code == 404 and "no patient holds card C404" in by_card.json()["detail"]
    assert (await slot_of(crm_http, h["slots"][0]))["booked"] == 0  # nothing half-written


async def test_card_holder_books_cancels_and_hears_read_back_over_nats(crm_http, bus):
    h = await hospital(crm_http)
    day = DAY.strftime("%Y%m%d")

    async def ask(subject, request) -> AppointmentReply:
        return await bus.request(subject, request, reply_type=AppointmentReply)

    booked = await ask(
        subjects.CRM_APPOINTMENT_BOOK,
        AppointmentBookRequest(
            card_number="c1001", department_code="11", day=day, start="0830", call_uuid="call-1"
        ),
    )
    assert booked.ok, booked.detail
    assert (booked.department_name, booked.patient_name, booked.status) == ("内科", "王小明", "booked")
    assert "08:30" in booked.read_back and " ".join(booked.confirmation_code) in booked.read_back

    # The 08:30 slot has one seat: a second booking there is full; without a time the 08:00 slot is taken.
    full = await ask(
        subjects.CRM_APPOINTMENT_BOOK,
        AppointmentBookRequest(card_number="C1001", department_code="11", day=day, start="0830"),
    )
    assert (full.ok, full.reason) == (False, "conflict")  # this card already holds that seat
    any_time = await ask(
        subjects.CRM_APPOINTMENT_BOOK,
        AppointmentBookRequest(card_number="C1001", department_code="11", day=day),
    )
    assert any_time.ok and "08:00" in any_time.read_back

    for request, reason in [
        (AppointmentBookRequest(card_number="C404", department_code="11", day=day), "card_unknown"),
        (AppointmentBookRequest(card_number="C1001", department_code="99", day=day), "department_unknown"),
        (AppointmentBookRequest(card_number="C1001", department_code="11", day="20301399"), "invalid"),
        (
            AppointmentBookRequest(card_number="C1001", department_code="11", day=day, start="0900"),
            "no_free_slot",
        ),
    ]:
        refused = await ask(subjects.CRM_APPOINTMENT_BOOK, request)
        assert (refused.ok, refused.reason) == (False, reason), refused.detail

    soonest = await ask(subjects.CRM_APPOINTMENT_READBACK, AppointmentReadBackRequest(card_number="C1001"))
    assert soonest.ok and soonest.appointment_id == any_time.appointment_id
    by_code = await ask(
        subjects.CRM_APPOINTMENT_READBACK,
        AppointmentReadBackRequest(card_number="C1001", confirmation_code=booked.confirmation_code),
    )
    assert by_code.appointment_id == booked.appointment_id

    wrong_card = await ask(
        subjects.CRM_APPOINTMENT_CANCEL,
        AppointmentCancelRequest(card_number="C9999", confirmation_code=booked.confirmation_code),
    )
    assert (wrong_card.ok, wrong_card.reason) == (False, "not_found")
    cancel = AppointmentCancelRequest(card_number="C1001", confirmation_code=booked.confirmation_code)
    first, repeat = (
        await ask(subjects.CRM_APPOINTMENT_CANCEL, cancel),
        await ask(subjects.CRM_APPOINTMENT_CANCEL, cancel),
    )
    assert first.ok and repeat.ok and first.status == repeat.status == "cancelled"
    assert (await slot_of(crm_http, h["slots"][1]))["booked"] == 0

    mine = (await crm_http.get("/v1/appointments", params={"patient_id": h["patient"]})).json()
    assert [(a["channel"], a["status"]) for a in mine["items"]] == [("ivr", "booked"), ("ivr", "cancelled")]


async def test_a_booking_not_used_by_the_end_of_its_day_expires(crm_http, crm_settings):
    await hospital(crm_http)
    when = f"{DAY.isoformat()}T10:00:00"
    body = (await crm_http.post("/v1/appointments", json={"caller_name": "x", "intended_at": when})).json()
    engine = make_engine(crm_settings.database_url)
    try:  # move the visit's day into the past, as time passing would
        async with engine.begin() as conn:
            past = dt.datetime.now(dt.UTC) - dt.timedelta(hours=1)
            await conn.execute(
                update(Appointment).where(Appointment.id == body["id"]).values(expires_at=past)
            )
    finally:
        await engine.dispose()
    got = (await crm_http.get(f"/v1/appointments/{body['id']}")).json()
    assert got["status"] == "expired"
    assert (await crm_http.post(f"/v1/appointments/{body['id']}/check-in")).status_code == 409
    assert (await crm_http.post("/v1/appointments/expire")).json() == {"expired": 0}

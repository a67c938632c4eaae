"""The demo hospital loads into an empty CRM, loads again without adding anything, and is usable:
IVR look-ups, bookings and VIP recognition work on it (R-ADM3 demo data for make demo)."""

from __future__ import annotations

import dataclasses

from careline import subjects
from careline.crm.demo_data import Loaded, demo_document, load_demo_hospital, load_demo_hospital_at
from careline.v1.crm_pb2 import (
    AppointmentBookRequest,
    AppointmentReply,
    CallerLookupReply,
    CallerLookupRequest,
    InfoLookupReply,
    InfoLookupRequest,
)


async def test_demo_hospital_loads_once_and_serves_the_ivr(crm_app, crm_http, crm_settings, bus):
    doc = demo_document()
    async with crm_app.state.runtime.sessions() as session:
        first = await load_demo_hospital(session, zone=crm_settings.timezone)
    assert dataclasses.asdict(first) == {
        "departments": len(doc["departments"]),
        "staff": len(doc["staff"]),
        "experts": len(doc["experts"]),
        "schedules": len(doc["schedules"]),
        "info": len(doc["info"]),
        "patients": len(doc["patients"]),
    }
    again = await load_demo_hospital_at(crm_settings.database_url, zone=crm_settings.timezone)
    assert again == Loaded() and again.total() == 0

    vips = [p["name"] for p in (await crm_http.get("/v1/patients")).json()["items"] if p["vip"]]
    assert len(vips) >= 2
    caller = await bus.request(
        subjects.CRM_CALLER_LOOKUP, CallerLookupRequest(number="13912345678"), reply_type=CallerLookupReply
    )
    assert caller.found and caller.vip
    expert = await bus.request(
        subjects.CRM_INFO_LOOKUP, InfoLookupRequest(kind="expert", number=1), reply_type=InfoLookupReply
    )
    assert expert.found and expert.text
    drug = await bus.request(
        subjects.CRM_INFO_LOOKUP, InfoLookupRequest(kind="drug", number=1002), reply_type=InfoLookupReply
    )
    assert drug.found and drug.title
    schedule = next(s for s in doc["schedules"] if s["department_code"] == "11" and s.get("expert_number"))
    day = (await crm_http.get("/v1/schedules", params={"department": "11"})).json()[0]["day"]
    booked = await bus.request(
        subjects.CRM_APPOINTMENT_BOOK,
        AppointmentBookRequest(card_number="C2024002", department_code="11", day=day, start="0800"),
        reply_type=AppointmentReply,
    )
    assert booked.ok, booked.detail
    assert schedule["slots"][0]["start"] == "08:00"

"""Appointments over HTTP under /v1 (R-REG2, R-REG3): thin routes over :mod:`careline.crm.appointments`."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, Query

from careline.crm import appointments
from careline.crm.api import AreaCode, Session
from careline.crm.api_directory import Zone
from careline.crm.clock import utc
from careline.crm.domain import MAX_OFFSET
from careline.crm.models import Appointment
from careline.crm.schemas_appointments import (
    AgentBookingIn,
    AppointmentOut,
    AppointmentPage,
    CardBookingIn,
    Status,
)

router = APIRouter(prefix="/v1", tags=["appointments"])


def appointment_out(row: Appointment, zone: str) -> AppointmentOut:
    return AppointmentOut(
        id=row.id,
        confirmation_code=row.confirmation_code,
        channel=row.channel,
        status=row.status,
        patient_id=row.patient_id,
        caller_name=row.caller_name,
        caller_phone=row.caller_phone,
        card_number=row.card_number,
        department_code=row.department.code if row.department else None,
        department_name=row.department.name if row.department else None,
        slot_id=row.slot_id,
        intended_at=utc(row.intended_at),
        expires_at=utc(row.expires_at),
        call_uuid=row.call_uuid,
        agent_id=row.agent_id,
        note=row.note,
        read_back=appointments.read_back(row, zone),
        created_at=utc(row.created_at),
    )


@router.post("/appointments", status_code=201, response_model=AppointmentOut)
async def book_by_agent(body: AgentBookingIn, session: Session, zone: Zone, area: AreaCode) -> AppointmentOut:
    """R-REG2: an agent books for any caller (name and intended time; a slot optional)."""
    row = await appointments.book_by_agent(body, session=session, zone=zone, default_area_code=area)
    return appointment_out(row, zone)


@router.post("/appointments/by-card", status_code=201, response_model=AppointmentOut)
async def book_by_card(body: CardBookingIn, session: Session, zone: Zone) -> AppointmentOut:
    """R-REG3: a card holder books a department's slot (what the IVR does over NATS)."""
    return appointment_out(await appointments.book_by_card(body, session=session, zone=zone), zone)


@router.get("/appointments", response_model=AppointmentPage)
async def list_appointments(
    session: Session,
    zone: Zone,
    patient_id: str | None = None,
    card: str | None = None,
    status: Status | None = None,
    day: dt.date | None = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 100,
    offset: Annotated[int, Query(ge=0, le=MAX_OFFSET)] = 0,
) -> AppointmentPage:
    rows, total = await appointments.list_appointments(
        session=session,
        patient_id=patient_id,
        card_number=card,
        status=status,
        day=day,
        zone=zone,
        limit=limit,
        offset=offset,
    )
    return AppointmentPage(items=[appointment_out(r, zone) for r in rows], total=total)


@router.get("/appointments/{appointment_id}", response_model=AppointmentOut)
async def get_appointment(appointment_id: str, session: Session, zone: Zone) -> AppointmentOut:
    await appointments.expire_due(session=session)
    return appointment_out(await appointments.get_appointment(appointment_id, session=session), zone)


@router.post("/appointments/{appointment_id}/cancel", response_model=AppointmentOut)
async def cancel_appointment(appointment_id: str, session: Session, zone: Zone) -> AppointmentOut:
    """Cancelling gives the seat back; cancelling twice answers the cancelled appointment again."""
    await appointments.expire_due(session=session)
    row = await appointments.get_appointment(appointment_id, session=session)
    return appointment_out(await appointments.cancel(row, session=session), zone)


@router.post("/appointments/{appointment_id}/check-in", response_model=AppointmentOut)
async def check_in(appointment_id: str, session: Session, zone: Zone) -> AppointmentOut:
    return appointment_out(await appointments.check_in(appointment_id, session=session), zone)


@router.post("/appointments/expire")
async def expire_appointments(session: Session) -> dict[str, int]:
    """Sweep: booked appointments whose day is over become expired (a cron or the demo calls it)."""
    return {"expired": await appointments.expire_due(session=session)}

"""Free appointments (R-REG1, R-REG2, R-REG3): book, cancel, check in, expire, read back.

Capacity (design §5): a seat is taken by ``UPDATE crm_slots SET booked = booked + 1 WHERE id = :slot
AND booked < capacity`` in the booking's own transaction. On SQLite every transaction takes the write
lock up front (BEGIN IMMEDIATE); on PostgreSQL the UPDATE locks the row and re-checks the condition
after a concurrent writer commits. Either way no slot is ever overbooked, and a booking that finds the
slot full changes nothing. Cancelling gives the seat back in the same transaction.
"""

from __future__ import annotations

import datetime as dt
import secrets
from zoneinfo import ZoneInfo

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from careline.core.ids import uuid7
from careline.core.web import Conflict, DomainError, NotFound
from careline.crm import directory
from careline.crm.clock import aware, local_day, now, utc
from careline.crm.models import Appointment, Department, Patient, PatientCard, Schedule, Slot
from careline.crm.phones import PhoneError, normalise_phone
from careline.crm.schemas_appointments import AgentBookingIn, CardBookingIn


class InvalidBooking(DomainError):
    status_code = 422


class SlotFull(Conflict):
    pass


class NoFreeSlot(Conflict):
    pass


class UnknownCard(NotFound):
    pass


def _code() -> str:
    return f"{secrets.randbelow(10**6):06d}"


def end_of_local_day(instant: dt.datetime, zone: str) -> dt.datetime:
    day = local_day(instant, zone)
    return dt.datetime.combine(day + dt.timedelta(days=1), dt.time(), tzinfo=ZoneInfo(zone)).astimezone(
        dt.UTC
    )


async def _take_seat(slot_id: str, *, session: AsyncSession) -> bool:
    result = await session.execute(
        update(Slot).where(Slot.id == slot_id, Slot.booked < Slot.capacity).values(booked=Slot.booked + 1)
    )
    return result.rowcount == 1


async def _give_seat_back(slot_id: str, *, session: AsyncSession) -> None:
    await session.execute(
        update(Slot).where(Slot.id == slot_id, Slot.booked > 0).values(booked=Slot.booked - 1)
    )


async def _slot(slot_id: str, *, session: AsyncSession) -> Slot:
    slot = await session.get(Slot, slot_id)
    if slot is None:
        raise NotFound(f"no slot {slot_id}")
    return slot


async def _store(appointment: Appointment, *, session: AsyncSession) -> Appointment:
    """Insert with a fresh confirmation code (retrying the rare collision) and commit."""
    for _ in range(5):
        appointment.confirmation_code = _code()
        taken = await session.scalar(
            select(Appointment.id).where(Appointment.confirmation_code == appointment.confirmation_code)
        )
        if not taken:
            break
    session.add(appointment)
    try:
        await session.commit()
    except IntegrityError as err:
        await session.rollback()
        raise Conflict("could not store the appointment (confirmation code clash); try again") from err
    return await get_appointment(appointment.id, session=session)


# --- booking ----------------------------------------------------------------------------------------


async def book_by_agent(
    data: AgentBookingIn, *, session: AsyncSession, zone: str, default_area_code: str | None = None
) -> Appointment:
    """R-REG2: any caller, by name and intended time; a slot, when chosen, must have a free seat."""
    phone = ""
    if data.caller_phone.strip():
        try:
            phone = normalise_phone(data.caller_phone, default_area_code=default_area_code)
        except PhoneError as err:
            raise InvalidBooking(err.reason) from None
    department = (
        await directory.department_by_code(data.department_code, session=session)
        if data.department_code
        else None
    )
    slot = await _slot(data.slot_id, session=session) if data.slot_id else None
    if slot is not None:
        schedule = await session.get(Schedule, slot.schedule_id)
        if department is not None and schedule.department_id != department.id:
            raise InvalidBooking(f"slot {slot.id} belongs to another department than {department.code}")
        department = await session.get(Department, schedule.department_id)
    if data.intended_at is not None:
        intended = aware(data.intended_at, zone)
    elif slot is not None:
        intended = utc(slot.starts_at)
    else:
        raise InvalidBooking("intended_at is required when no slot is chosen")
    if intended <= now():
        raise InvalidBooking(f"intended time {intended.isoformat()} is in the past")
    patient_id = await _patient_for_agent_booking(data, phone, session=session)
    if slot is not None and not await _take_seat(slot.id, session=session):
        full = SlotFull(f"slot {slot.id} is full ({slot.capacity} seats)")
        await session.rollback()  # expires every loaded row: the reason is worded first
        raise full
    return await _store(
        Appointment(
            id=uuid7(),
            channel="agent",
            status="booked",
            patient_id=patient_id,
            caller_name=data.caller_name.strip(),
            caller_phone=phone,
            card_number=(data.card_number or "").strip().upper(),
            department_id=department.id if department else None,
            slot_id=slot.id if slot else None,
            intended_at=intended,
            expires_at=end_of_local_day(intended, zone),
            call_uuid=data.call_uuid,
            agent_id=data.agent_id,
            note=data.note,
        ),
        session=session,
    )


async def _patient_for_agent_booking(
    data: AgentBookingIn, phone: str, *, session: AsyncSession
) -> str | None:
    """The patient the booking belongs to (R-CRM1 history): given, by card, or by a phone only one owns."""
    if data.patient_id:
        if await session.get(Patient, data.patient_id) is None:
            raise NotFound(f"no patient {data.patient_id}")
        return data.patient_id
    if data.card_number:
        return (await patient_by_card(data.card_number, session=session)).id
    if phone:
        from careline.crm.models import PatientPhone

        owners = list(
            await session.scalars(select(PatientPhone.patient_id).where(PatientPhone.number == phone))
        )
        if len(set(owners)) == 1:
            return owners[0]
    return None


async def patient_by_card(card_number: str, *, session: AsyncSession) -> Patient:
    card = card_number.strip().upper()
    patient_id = await session.scalar(select(PatientCard.patient_id).where(PatientCard.card_number == card))
    if patient_id is None:
        raise UnknownCard(f"no patient holds card {card}")
    return await session.get(Patient, patient_id)


async def _candidate_slots(data: CardBookingIn, department: Department, *, session: AsyncSession, zone: str):
    if data.slot_id:
        slot = await _slot(data.slot_id, session=session)
        schedule = await session.get(Schedule, slot.schedule_id)
        if schedule.department_id != department.id:
            raise InvalidBooking(f"slot {slot.id} belongs to another department than {department.code}")
        return [slot]
    if data.day is None:
        raise InvalidBooking("give a slot_id or a day")
    query = (
        select(Slot)
        .join(Schedule, Schedule.id == Slot.schedule_id)
        .where(Schedule.department_id == department.id, Schedule.day == data.day)
        .order_by(Slot.starts_at)
    )
    slots = list(await session.scalars(query))
    if data.start is not None:
        slots = [s for s in slots if utc(s.starts_at).astimezone(ZoneInfo(zone)).time() == data.start]
        if not slots:
            raise NoFreeSlot(f"department {department.code} has no slot at {data.start:%H:%M} on {data.day}")
    if not slots:
        raise NoFreeSlot(f"department {department.code} has no clinic on {data.day}")
    return slots


async def book_by_card(data: CardBookingIn, *, session: AsyncSession, zone: str) -> Appointment:
    """R-REG3: only card holders; the first slot (of those asked for) with a free seat is taken."""
    patient = await patient_by_card(data.card_number, session=session)
    department = await directory.department_by_code(data.department_code, session=session)
    if not department.enabled:
        raise InvalidBooking(f"department {department.code} takes no appointments now")
    slots = [
        s
        for s in await _candidate_slots(data, department, session=session, zone=zone)
        if utc(s.starts_at) > now()
    ]
    if not slots:
        raise NoFreeSlot("the slots asked for have already begun")
    mine = set(
        await session.scalars(
            select(Appointment.slot_id).where(
                Appointment.patient_id == patient.id,
                Appointment.status == "booked",
                Appointment.slot_id.in_([s.id for s in slots]),
            )
        )
    )
    slots = [s for s in slots if s.id not in mine]  # one seat per card per slot
    if not slots:
        raise Conflict(f"card {data.card_number.strip().upper()} already holds a booking in that slot")
    for slot in slots:
        if await _take_seat(slot.id, session=session):
            intended = utc(slot.starts_at)
            return await _store(
                Appointment(
                    id=uuid7(),
                    channel="ivr",
                    status="booked",
                    patient_id=patient.id,
                    caller_name=patient.name,
                    card_number=data.card_number.strip().upper(),
                    department_id=department.id,
                    slot_id=slot.id,
                    intended_at=intended,
                    expires_at=end_of_local_day(intended, zone),
                    call_uuid=data.call_uuid,
                ),
                session=session,
            )
    if len(slots) == 1:
        full: Conflict = SlotFull(f"slot {slots[0].id} is full ({slots[0].capacity} seats)")
    else:
        full = NoFreeSlot(f"every slot of department {department.code} asked for is full")
    await session.rollback()  # expires every loaded row: the reason is worded first
    raise full


# --- reading and lifecycle ----------------------------------------------------------------------------


async def expire_due(*, session: AsyncSession, at: dt.datetime | None = None) -> int:
    """Mark ``booked`` appointments whose day is over as ``expired``; returns how many (R-REG5 spirit)."""
    result = await session.execute(
        update(Appointment)
        .where(Appointment.status == "booked", Appointment.expires_at <= (at or now()))
        .values(status="expired", updated_at=now())
    )
    await session.commit()
    return result.rowcount or 0


async def get_appointment(appointment_id: str, *, session: AsyncSession) -> Appointment:
    row = await session.scalar(
        select(Appointment).where(Appointment.id == appointment_id).execution_options(populate_existing=True)
    )
    if row is None:
        raise NotFound(f"no appointment {appointment_id}")
    return row


async def by_confirmation_code(
    code: str, *, session: AsyncSession, card_number: str | None = None
) -> Appointment:
    query = select(Appointment).where(Appointment.confirmation_code == code.strip())
    row = await session.scalar(query.execution_options(populate_existing=True))
    if row is None or (card_number and row.card_number != card_number.strip().upper()):
        raise NotFound(
            f"no appointment with confirmation code {code}" + (" on that card" if card_number else "")
        )
    return row


async def list_appointments(
    *,
    session: AsyncSession,
    patient_id: str | None = None,
    card_number: str | None = None,
    status: str | None = None,
    day: dt.date | None = None,
    zone: str = "UTC",
    limit: int = 100,
    offset: int = 0,
) -> tuple[list[Appointment], int]:
    await expire_due(session=session)
    query = select(Appointment)
    if patient_id:
        query = query.where(Appointment.patient_id == patient_id)
    if card_number:
        query = query.where(Appointment.card_number == card_number.strip().upper())
    if status:
        query = query.where(Appointment.status == status)
    if day:
        start = dt.datetime.combine(day, dt.time(), tzinfo=ZoneInfo(zone))
        query = query.where(
            Appointment.intended_at >= start, Appointment.intended_at < start + dt.timedelta(days=1)
        )
    total = await session.scalar(select(func.count()).select_from(query.subquery()))
    rows = await session.scalars(
        query.order_by(Appointment.intended_at, Appointment.id)
        .limit(limit)
        .offset(offset)
        .execution_options(populate_existing=True)
    )
    return list(rows), int(total or 0)


async def next_for_card(card_number: str, *, session: AsyncSession) -> Appointment:
    """The card's soonest appointment still ``booked`` (the IVR's read-back without a code)."""
    await expire_due(session=session)
    await patient_by_card(card_number, session=session)
    row = await session.scalar(
        select(Appointment)
        .where(Appointment.card_number == card_number.strip().upper(), Appointment.status == "booked")
        .order_by(Appointment.intended_at)
        .limit(1)
    )
    if row is None:
        raise NotFound(f"card {card_number.strip().upper()} has no upcoming appointment")
    return row


async def cancel(appointment: Appointment, *, session: AsyncSession) -> Appointment:
    """Cancel and give the seat back. Cancelling twice is success (idempotent), a visit that happened
    or expired cannot be cancelled."""
    if appointment.status == "cancelled":
        return appointment
    if appointment.status != "booked":
        raise Conflict(
            f"appointment {appointment.id} is {appointment.status}; only booked ones can be cancelled"
        )
    moved = await session.execute(
        update(Appointment)
        .where(Appointment.id == appointment.id, Appointment.status == "booked")
        .values(status="cancelled", updated_at=now())
    )
    if moved.rowcount == 1 and appointment.slot_id:  # a concurrent cancel gives the seat back only once
        await _give_seat_back(appointment.slot_id, session=session)
    await session.commit()
    return await get_appointment(appointment.id, session=session)


async def check_in(appointment_id: str, *, session: AsyncSession) -> Appointment:
    await expire_due(session=session)
    row = await get_appointment(appointment_id, session=session)
    if row.status == "checked_in":
        return row
    if row.status != "booked":
        raise Conflict(f"appointment {row.id} is {row.status}; only booked ones can check in")
    row.status = "checked_in"
    await session.commit()
    return await get_appointment(appointment_id, session=session)


def read_back(row: Appointment, zone: str) -> str:
    """What the IVR (TTS) and the agent read to the caller to confirm the booking."""
    when = utc(row.intended_at).astimezone(ZoneInfo(zone))
    where = row.department.name if row.department else "门诊"
    state = {"booked": "已预约", "checked_in": "已签到", "cancelled": "已取消", "expired": "已过期"}[
        row.status
    ]
    return (
        f"{row.caller_name}，您{state}{when.year}年{when.month}月{when.day}日{when:%H:%M}{where}，"
        f"确认码{' '.join(row.confirmation_code)}。"
    )

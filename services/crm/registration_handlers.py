"""Seats of formal (paid) registrations over NATS, for billing's registration saga (R-REG4–R-REG6).

Billing owns the money and the saga; the CRM owns the seat. Every request names the registration by
billing's key, and the appointment's primary key is derived from it (uuid5), so:

- ``hold`` is idempotent without a table of its own: a second hold with the key finds the row (and two
  racing holds cannot both insert it — the primary key refuses the second);
- ``release`` (billing's compensation) cancels and gives the seat back once; a release that comes
  before any hold leaves a cancelled tombstone under the key, so a late hold (a request that was slow
  on the wire while billing already compensated) books nothing;
- ``checkin`` is the kiosk's check-in (R-REG6) and ``status`` lets billing's no-show sweep (R-REG5) see a
  check-in made at a desk.

Refusals are replies (ok=false, machine ``reason``), never bus errors, as in handlers_appointments.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable

from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from careline import subjects
from careline.core.web import Conflict, DomainError
from careline.crm import appointments, directory
from careline.crm.clock import now, utc
from careline.crm.handlers_appointments import _day, _first_problem, _start, reason_of
from careline.crm.models import Appointment, Schedule, Slot
from careline.crm.schemas_appointments import CardBookingIn
from careline.v1.crm_pb2 import RegistrationHoldRequest, RegistrationSeatRef, RegistrationSeatReply

_NAMESPACE = uuid.UUID("6f1d4c1e-6a53-4d0b-9a53-2f5b8a3c7e10")
CHANNEL = "paid"  # crm_appointments.channel: a formal registration booked through billing
RELEASED_NOTE = "released by billing before it was held"


def appointment_id_for(key: str) -> str:
    return str(uuid.uuid5(_NAMESPACE, f"registration:{key}"))


class RegistrationSeatHandlers:
    def __init__(self, sessions: Callable[[], AsyncSession], zone: str) -> None:
        self._sessions = sessions
        self._zone = zone

    async def hold(self, request: RegistrationHoldRequest) -> RegistrationSeatReply:
        if not request.key:
            return RegistrationSeatReply(ok=False, reason="invalid", detail="a key is required")
        aid = appointment_id_for(request.key)
        async with self._sessions() as session:
            existing = await _row(aid, session=session)
            if existing is not None:
                return await self._answer_existing(existing, session=session)
            try:
                await self._book(aid, request, session=session)
            except ValidationError as err:
                return RegistrationSeatReply(ok=False, reason="invalid", detail=_first_problem(err))
            except DomainError as err:
                raced = await _row(aid, session=session)  # a concurrent hold with the key won
                if raced is not None:
                    return await self._answer_existing(raced, session=session)
                return RegistrationSeatReply(ok=False, reason=reason_of(err), detail=err.reason)
            return await self._reply(await _row(aid, session=session), session=session)

    async def release(self, request: RegistrationSeatRef) -> RegistrationSeatReply:
        aid = appointment_id_for(request.key)
        async with self._sessions() as session:
            row = await _row(aid, session=session)
            if row is None:
                return await self._tombstone(aid, session=session)
            try:
                row = await appointments.cancel(row, session=session)
            except DomainError as err:
                return RegistrationSeatReply(ok=False, reason=reason_of(err), detail=err.reason)
            return await self._reply(row, session=session)

    async def check_in(self, request: RegistrationSeatRef) -> RegistrationSeatReply:
        aid = appointment_id_for(request.key)
        async with self._sessions() as session:
            try:
                row = await appointments.check_in(aid, session=session)
            except DomainError as err:
                return RegistrationSeatReply(ok=False, reason=reason_of(err), detail=err.reason)
            return await self._reply(row, session=session)

    async def status(self, request: RegistrationSeatRef) -> RegistrationSeatReply:
        aid = appointment_id_for(request.key)
        async with self._sessions() as session:
            await appointments.expire_due(session=session)
            row = await _row(aid, session=session)
            if row is None:
                return RegistrationSeatReply(ok=False, reason="not_found", status="absent")
            return await self._reply(row, session=session)

    # --- helpers ------------------------------------------------------------------------------------
    async def _book(self, aid: str, request: RegistrationHoldRequest, *, session: AsyncSession) -> None:
        data = CardBookingIn(
            card_number=request.card_number,
            department_code=request.department_code,
            slot_id=request.slot_id or None,
            day=_day(request.day),
            start=_start(request.start),
            call_uuid=request.call_uuid,
        )
        patient = await appointments.patient_by_card(data.card_number, session=session)
        department = await directory.department_by_code(data.department_code, session=session)
        if not department.enabled:
            raise appointments.InvalidBooking(f"department {department.code} takes no registrations now")
        slots = await appointments._candidate_slots(data, department, session=session, zone=self._zone)
        slots = [s for s in slots if utc(s.starts_at) > now()]
        if request.expert_number:
            slots = [s for s in slots if await _expert_number(s, session=session) == request.expert_number]
        if not slots:
            raise appointments.NoFreeSlot("no slot asked for is still open")
        for slot in slots:
            if await appointments._take_seat(slot.id, session=session):
                intended = utc(slot.starts_at)
                await appointments._store(
                    Appointment(
                        id=aid,
                        channel=CHANNEL,
                        status="booked",
                        patient_id=patient.id,
                        caller_name=patient.name,
                        card_number=data.card_number.strip().upper(),
                        department_id=department.id,
                        slot_id=slot.id,
                        intended_at=intended,
                        expires_at=appointments.end_of_local_day(intended, self._zone),
                        call_uuid=data.call_uuid,
                    ),
                    session=session,
                )
                return
        await session.rollback()
        raise appointments.SlotFull("every slot asked for is full")

    async def _tombstone(self, aid: str, *, session: AsyncSession) -> RegistrationSeatReply:
        at = now()
        try:
            row = await appointments._store(
                Appointment(
                    id=aid,
                    channel=CHANNEL,
                    status="cancelled",
                    caller_name="",
                    intended_at=at,
                    expires_at=at,
                    note=RELEASED_NOTE,
                ),
                session=session,
            )
        except Conflict:  # a hold or release with the key got in first: release what is there now
            row = await _row(aid, session=session)
            if row is None:
                raise
            if row.status == "booked":
                row = await appointments.cancel(row, session=session)
        return await self._reply(row, session=session)

    async def _answer_existing(self, row: Appointment, *, session: AsyncSession) -> RegistrationSeatReply:
        if row.note == RELEASED_NOTE:
            return RegistrationSeatReply(
                ok=False, reason="released", detail="the registration was released", status=row.status
            )
        return await self._reply(row, session=session)

    async def _reply(self, row: Appointment, *, session: AsyncSession) -> RegistrationSeatReply:
        expert_number, expert_name, ends = 0, "", row.intended_at
        if row.slot_id:
            slot = await session.get(Slot, row.slot_id)
            schedule = await session.get(Schedule, slot.schedule_id) if slot else None
            if slot is not None:
                ends = slot.ends_at
            if schedule is not None and schedule.expert is not None:
                expert_number, expert_name = schedule.expert.number, schedule.expert.name
        return RegistrationSeatReply(
            ok=True,
            appointment_id=row.id,
            confirmation_code=row.confirmation_code,
            status=row.status,
            department_code=row.department.code if row.department else "",
            department_name=row.department.name if row.department else "",
            expert_number=expert_number,
            expert_name=expert_name,
            slot_id=row.slot_id or "",
            patient_id=row.patient_id or "",
            patient_name=row.caller_name,
            starts_epoch=_epoch(row.intended_at),
            ends_epoch=_epoch(ends),
            read_back=appointments.read_back(row, self._zone) if row.department else "",
        )


async def _row(aid: str, *, session: AsyncSession) -> Appointment | None:
    return await session.scalar(
        select(Appointment).where(Appointment.id == aid).execution_options(populate_existing=True)
    )


async def _expert_number(slot: Slot, *, session: AsyncSession) -> int:
    schedule = await session.get(Schedule, slot.schedule_id)
    return schedule.expert.number if schedule is not None and schedule.expert is not None else 0


def _epoch(value: dt.datetime) -> int:
    return int(utc(value).timestamp())


async def start(bus, sessions: Callable[[], AsyncSession], zone: str) -> None:
    seats = RegistrationSeatHandlers(sessions, zone)
    await bus.serve(subjects.CRM_REGISTRATION_HOLD, seats.hold, request_type=RegistrationHoldRequest)
    await bus.serve(subjects.CRM_REGISTRATION_RELEASE, seats.release, request_type=RegistrationSeatRef)
    await bus.serve(subjects.CRM_REGISTRATION_CHECKIN, seats.check_in, request_type=RegistrationSeatRef)
    await bus.serve(subjects.CRM_REGISTRATION_STATUS, seats.status, request_type=RegistrationSeatRef)

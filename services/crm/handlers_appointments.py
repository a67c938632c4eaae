"""IVR appointment requests over NATS (R-REG3): book, cancel, read back.

Every refusal is a reply with ok=false and a machine ``reason`` (the IVR picks a prompt by it), never
a bus error: "the slot is full" is an answer, not a failure. Cancel is idempotent (a repeated request
answers the cancelled booking again); read-back only reads.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable

from pydantic import ValidationError
from sqlalchemy.ext.asyncio import AsyncSession

from careline.core.web import Conflict, DomainError, NotFound
from careline.crm import appointments
from careline.crm.clock import utc
from careline.crm.models import Appointment
from careline.crm.schemas_appointments import CardBookingIn
from careline.v1.crm_pb2 import (
    AppointmentBookRequest,
    AppointmentCancelRequest,
    AppointmentReadBackRequest,
    AppointmentReply,
)

log = logging.getLogger("careline.crm")


def reason_of(err: DomainError) -> str:
    if isinstance(err, appointments.UnknownCard):
        return "card_unknown"
    if isinstance(err, appointments.SlotFull):
        return "slot_full"
    if isinstance(err, appointments.NoFreeSlot):
        return "no_free_slot"
    if isinstance(err, NotFound):
        return "department_unknown" if "department" in err.reason else "not_found"
    if isinstance(err, Conflict):
        return "conflict"
    return "invalid"


def reply_of(row: Appointment, zone: str) -> AppointmentReply:
    return AppointmentReply(
        ok=True,
        appointment_id=row.id,
        confirmation_code=row.confirmation_code,
        status=row.status,
        department_code=row.department.code if row.department else "",
        department_name=row.department.name if row.department else "",
        patient_name=row.caller_name,
        starts_epoch=int(utc(row.intended_at).timestamp()),
        read_back=appointments.read_back(row, zone),
    )


def _refusal(err: DomainError) -> AppointmentReply:
    return AppointmentReply(ok=False, reason=reason_of(err), detail=err.reason)


def _day(text: str) -> dt.date | None:
    text = text.strip().replace("-", "")
    if not text:
        return None
    try:
        return dt.datetime.strptime(text, "%Y%m%d").date()
    except ValueError:
        raise appointments.InvalidBooking(f"day {text!r} is not YYYYMMDD") from None


def _start(text: str) -> dt.time | None:
    text = text.strip().replace(":", "")
    if not text:
        return None
    try:
        return dt.datetime.strptime(text, "%H%M").time()
    except ValueError:
        raise appointments.InvalidBooking(f"start {text!r} is not HHMM") from None


class AppointmentHandlers:
    def __init__(self, sessions: Callable[[], AsyncSession], zone: str) -> None:
        self._sessions = sessions
        self._zone = zone

    async def book(self, request: AppointmentBookRequest) -> AppointmentReply:
        async with self._sessions() as session:
            try:
                data = CardBookingIn(
                    card_number=request.card_number,
                    department_code=request.department_code,
                    slot_id=request.slot_id or None,
                    day=_day(request.day),
                    start=_start(request.start),
                    call_uuid=request.call_uuid,
                )
                row = await appointments.book_by_card(data, session=session, zone=self._zone)
            except ValidationError as err:
                return AppointmentReply(ok=False, reason="invalid", detail=_first_problem(err))
            except DomainError as err:
                log.info("IVR booking refused (%s): %s", request.call_uuid, err.reason)
                return _refusal(err)
            return reply_of(row, self._zone)

    async def cancel(self, request: AppointmentCancelRequest) -> AppointmentReply:
        async with self._sessions() as session:
            try:
                row = await appointments.by_confirmation_code(
                    request.confirmation_code, session=session, card_number=request.card_number
                )
                row = await appointments.cancel(row, session=session)
            except DomainError as err:
                return _refusal(err)
            return reply_of(row, self._zone)

    async def read_back(self, request: AppointmentReadBackRequest) -> AppointmentReply:
        async with self._sessions() as session:
            try:
                await appointments.expire_due(session=session)
                if request.confirmation_code:
                    row = await appointments.by_confirmation_code(
                        request.confirmation_code, session=session, card_number=request.card_number
                    )
                else:
                    row = await appointments.next_for_card(request.card_number, session=session)
            except DomainError as err:
                return _refusal(err)
            return reply_of(row, self._zone)


def _first_problem(err: ValidationError) -> str:
    problem = err.errors()[0]
    return f"{'.'.join(str(p) for p in problem['loc'])}: {problem['msg']}"

"""The CRM's seats as billing's registration saga sees them (R-REG4–R-REG6): a port and its NATS adapter.

Three outcomes of every call, and the saga treats them differently:
- a ``Seat`` — the CRM answered and did it;
- ``SeatRefused`` — the CRM answered no (slot full, unknown department…): nothing was held;
- ``SeatUnavailable`` — no answer (timeout, no responder, responder error): the outcome is UNKNOWN, so
  the saga must assume a seat may be held and compensate (the CRM's release is idempotent and wins over a
  late hold, see careline.crm.registration_handlers).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Protocol

from careline import subjects
from careline.core.bus import Bus, BusError
from careline.core.web import DomainError
from careline.v1.crm_pb2 import RegistrationHoldRequest, RegistrationSeatRef, RegistrationSeatReply


class SeatRefused(DomainError):
    """The CRM refused; ``code`` is its machine reason (slot_full, no_free_slot, card_unknown, …)."""

    status_code = 409

    def __init__(self, reason: str, *, code: str) -> None:
        super().__init__(reason, status_code=404 if code.endswith("_unknown") else 409)
        self.code = code


class SeatUnavailable(DomainError):
    """No answer from the CRM: what happened to the seat is unknown."""

    status_code = 503


@dataclass(frozen=True)
class Seat:
    appointment_id: str
    confirmation_code: str
    status: str  # booked | checked_in | cancelled | expired | absent
    slot_id: str = ""
    department_code: str = ""
    department_name: str = ""
    expert_number: int = 0
    expert_name: str = ""
    patient_name: str = ""
    starts_at: dt.datetime | None = None
    ends_at: dt.datetime | None = None


@dataclass(frozen=True)
class HoldRequest:
    key: str
    card_number: str
    department_code: str
    slot_id: str = ""
    day: str = ""
    start: str = ""
    expert_number: int = 0
    call_uuid: str = ""


class Seats(Protocol):
    async def hold(self, request: HoldRequest) -> Seat: ...
    async def release(self, key: str) -> Seat: ...
    async def check_in(self, key: str) -> Seat: ...
    async def status(self, key: str) -> Seat: ...


class NatsSeats:
    """Seats over NATS request/reply (careline.subjects.CRM_REGISTRATION_*)."""

    def __init__(self, bus: Bus, *, timeout: float = 3.0) -> None:
        self._bus = bus
        self._timeout = timeout

    async def hold(self, request: HoldRequest) -> Seat:
        msg = RegistrationHoldRequest(
            key=request.key,
            card_number=request.card_number,
            department_code=request.department_code,
            slot_id=request.slot_id,
            day=request.day,
            start=request.start,
            expert_number=request.expert_number,
            call_uuid=request.call_uuid,
        )
        return _seat(await self._ask(subjects.CRM_REGISTRATION_HOLD, msg))

    async def release(self, key: str) -> Seat:
        reply = await self._ask(subjects.CRM_REGISTRATION_RELEASE, RegistrationSeatRef(key=key))
        return _seat(reply)

    async def check_in(self, key: str) -> Seat:
        return _seat(await self._ask(subjects.CRM_REGISTRATION_CHECKIN, RegistrationSeatRef(key=key)))

    async def status(self, key: str) -> Seat:
        reply = await self._ask(subjects.CRM_REGISTRATION_STATUS, RegistrationSeatRef(key=key))
        if not reply.ok and reply.status == "absent":
            return Seat(appointment_id="", confirmation_code="", status="absent")
        return _seat(reply)

    async def _ask(self, subject: str, msg) -> RegistrationSeatReply:
        try:
            return await self._bus.request(
                subject, msg, reply_type=RegistrationSeatReply, timeout=self._timeout
            )
        except (BusError, TimeoutError) as err:
            raise SeatUnavailable(f"the CRM did not answer ({type(err).__name__}); try again") from err


def _seat(reply: RegistrationSeatReply) -> Seat:
    if not reply.ok:
        raise SeatRefused(reply.detail or reply.reason, code=reply.reason or "refused")
    return Seat(
        appointment_id=reply.appointment_id,
        confirmation_code=reply.confirmation_code,
        status=reply.status,
        slot_id=reply.slot_id,
        department_code=reply.department_code,
        department_name=reply.department_name,
        expert_number=reply.expert_number,
        expert_name=reply.expert_name,
        patient_name=reply.patient_name,
        starts_at=_instant(reply.starts_epoch),
        ends_at=_instant(reply.ends_epoch),
    )


def _instant(epoch: int) -> dt.datetime | None:
    return dt.datetime.fromtimestamp(epoch, dt.UTC) if epoch else None

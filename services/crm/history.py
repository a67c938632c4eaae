"""A patient's whole story in one call (R-CRM1), the calls it is made of (CDR facts, idempotent),
agents' notes, and the lost-card look-up with its audit trail (R-HUM1, R-ADM2).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from careline.core.bus import AlreadyProcessed
from careline.core.ids import uuid7
from careline.core.web import DomainError, NotFound
from careline.crm import complaints, domain
from careline.crm.idnumber import IdNumberError, validate_id_number
from careline.crm.models import Appointment, AuditEntry, CallRecord, Complaint, Note, Patient, PatientCard
from careline.crm.phones import PhoneError, normalise_phone
from careline.v1.cdr_pb2 import Cdr
from careline.v1.common_pb2 import Direction

LOST_CARD = "lost_card_lookup"


@dataclass
class History:
    patient: Patient
    calls: list[dict]
    appointments: list[Appointment]
    complaints: list[Complaint]
    notes: list[Note]


# --- calls from CDR facts ---------------------------------------------------------------------------


def _epoch(seconds: int) -> dt.datetime | None:
    return dt.datetime.fromtimestamp(seconds, dt.UTC) if seconds else None


def _normalised(raw: str, default_area_code: str | None) -> str | None:
    try:
        return normalise_phone(raw, default_area_code=default_area_code)
    except PhoneError:
        return None  # anonymous, extensions, service codes: kept, but nobody's history


async def record_cdr(cdr: Cdr, *, session: AsyncSession, default_area_code: str | None = None) -> None:
    """Store one leg of a call and link complaints filed during it (R-CRM1, R-CMP1).

    Idempotent: the leg uuid is the key; a leg seen before raises AlreadyProcessed (acked as success).
    """
    if await session.get(CallRecord, cdr.uuid) is not None:
        raise AlreadyProcessed(cdr.uuid)
    outbound = cdr.direction == Direction.DIRECTION_OUTBOUND
    call_uuid = cdr.meta.call_uuid or cdr.uuid
    session.add(
        CallRecord(
            leg_uuid=cdr.uuid,
            call_uuid=call_uuid,
            direction="outbound" if outbound else "inbound",
            caller_number=cdr.caller_number[:40],
            callee_number=cdr.callee_number[:40],
            number=_normalised(cdr.callee_number if outbound else cdr.caller_number, default_area_code),
            queue=cdr.queue,
            agent_id=cdr.agent_id,
            started_at=_epoch(cdr.start_epoch) or _epoch(cdr.end_epoch),
            answered_at=_epoch(cdr.answer_epoch),
            ended_at=_epoch(cdr.end_epoch),
            billsec=cdr.billsec,
            hangup_cause=cdr.hangup_cause,
            recording_id=cdr.recording_id,
        )
    )
    await complaints.link_cdr(
        call_uuid, cdr.uuid if cdr.uuid == call_uuid else "", cdr.recording_id, session=session
    )
    try:
        await session.commit()
    except IntegrityError as err:  # another replica stored the leg first
        await session.rollback()
        raise AlreadyProcessed(cdr.uuid) from err


def _calls(legs: list[CallRecord]) -> list[dict]:
    """One entry per call (its legs folded together), newest first."""
    calls: dict[str, dict] = {}
    for leg in sorted(legs, key=lambda r: (r.started_at, r.leg_uuid)):
        call = calls.setdefault(
            leg.call_uuid,
            {
                "call_uuid": leg.call_uuid,
                "direction": leg.direction,
                "started_at": leg.started_at,
                "legs": [],
            },
        )
        call["legs"].append(leg.leg_uuid)
        call["ended_at"] = max(call.get("ended_at") or leg.ended_at, leg.ended_at)
        call["billsec"] = max(call.get("billsec", 0), leg.billsec)
        for name in ("agent_id", "queue", "recording_id", "hangup_cause"):
            if getattr(leg, name) and not call.get(name):
                call[name] = getattr(leg, name)
    return sorted(calls.values(), key=lambda c: c["started_at"], reverse=True)


# --- history ----------------------------------------------------------------------------------------


async def patient_history(patient_id: str, *, session: AsyncSession) -> History:
    patient = await domain.get_patient(patient_id, session=session)
    numbers = [p.number for p in patient.phones]
    legs = (
        list(await session.scalars(select(CallRecord).where(CallRecord.number.in_(numbers))))
        if numbers
        else []
    )
    appointments = await session.scalars(
        select(Appointment)
        .where(Appointment.patient_id == patient.id)
        .order_by(Appointment.intended_at.desc())
    )
    filed = await session.scalars(
        select(Complaint).where(Complaint.patient_id == patient.id).order_by(Complaint.created_at.desc())
    )
    notes = await session.scalars(
        select(Note).where(Note.patient_id == patient.id).order_by(Note.created_at.desc(), Note.id.desc())
    )
    return History(patient, _calls(legs), list(appointments), list(filed), list(notes))


async def find_patient_id(*, session: AsyncSession, id_number: str | None, card: str | None) -> str:
    """R-CRM1: a caller is found by ID number or card number."""
    if bool(id_number) == bool(card):
        raise DomainError("give exactly one of id_number or card", status_code=422)
    if id_number:
        found = await session.scalar(select(Patient.id).where(Patient.id_number == id_number.strip().upper()))
    else:
        found = await session.scalar(
            select(PatientCard.patient_id).where(PatientCard.card_number == card.strip().upper())
        )
    if found is None:
        raise NotFound("no patient with " + (f"ID number {id_number}" if id_number else f"card {card}"))
    return found


async def add_note(patient_id: str, author: str, text: str, call_uuid: str, *, session: AsyncSession) -> Note:
    await domain.get_patient(patient_id, session=session)
    note = Note(
        id=uuid7(), patient_id=patient_id, author=author.strip(), text=text.strip(), call_uuid=call_uuid
    )
    session.add(note)
    await session.commit()
    return note


# --- lost card look-up and audit --------------------------------------------------------------------


async def lost_card_lookup(id_number: str, name: str, actor: str, *, session: AsyncSession) -> Patient:
    """R-HUM1: an agent finds a caller's card numbers by ID number + name; every attempt is audited.

    A miss does not say whether the ID number or the name was wrong (no probing of who is a patient).
    """
    try:
        canonical = validate_id_number(id_number)
    except IdNumberError as err:
        raise DomainError(err.reason, status_code=422) from None
    patient = await session.scalar(select(Patient).where(Patient.id_number == canonical))
    matched = patient is not None and "".join(patient.name.split()) == "".join(name.split())
    session.add(
        AuditEntry(
            actor=actor.strip(),
            action=LOST_CARD,
            target=patient.id if matched else "",
            outcome="found" if matched else "not_found",
            detail=f"id_number={canonical[:6]}********{canonical[-4:]} name={name.strip()}",
        )
    )
    await session.commit()
    if not matched:
        raise NotFound("no patient with that ID number and name")
    return await domain.get_patient(patient.id, session=session)


async def audit_log(
    *, session: AsyncSession, actor: str | None = None, action: str | None = None, limit: int = 100
) -> list[AuditEntry]:
    query = select(AuditEntry).order_by(AuditEntry.id.desc()).limit(limit)
    if actor:
        query = query.where(AuditEntry.actor == actor)
    if action:
        query = query.where(AuditEntry.action == action)
    return list(await session.scalars(query))

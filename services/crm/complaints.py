"""Complaints (R-CMP1, R-HUM1): file, assign, resolve, close; overdue query and escalation.

Lifecycle: new -> assigned -> resolved -> closed; a resolved complaint the caller is not satisfied with
goes back to assigned; re-assigning an assigned one changes the assignee. Closing twice is success.
A complaint open past ``due_at`` is overdue; escalating raises its level and gives the next level a
new due date, so one escalation run never escalates the same complaint twice.
"""

from __future__ import annotations

import datetime as dt
import secrets

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from careline.core.ids import uuid7
from careline.core.web import Conflict, DomainError, NotFound
from careline.crm import directory
from careline.crm.clock import aware, now, utc
from careline.crm.models import Complaint, Patient, PatientPhone
from careline.crm.models.complaints import OPEN
from careline.crm.phones import PhoneError, normalise_phone
from careline.crm.schemas_complaints import ComplaintIn, LinkIn

NEXT = {
    "new": {"assigned"},
    "assigned": {"assigned", "resolved"},
    "resolved": {"closed", "assigned"},
    "closed": set(),
}


class InvalidComplaint(DomainError):
    status_code = 422


class StaffNotInDepartment(InvalidComplaint):
    pass


async def file_complaint(
    data: ComplaintIn,
    *,
    session: AsyncSession,
    zone: str,
    due_days: int,
    default_area_code: str | None = None,
) -> Complaint:
    """Validate codes against the directory (R-CMP1) and store the complaint as ``new``."""
    if data.channel == "dtmf" and not data.department_code:
        raise InvalidComplaint("a DTMF complaint needs a department code")
    department = (
        await directory.department_by_code(data.department_code, session=session)
        if data.department_code
        else None
    )
    staff = await directory.staff_by_code(data.staff_code, session=session) if data.staff_code else None
    if staff is not None and department is not None and staff.department_id != department.id:
        raise StaffNotInDepartment(f"staff {staff.code} does not work in department {department.code}")
    if staff is not None and department is None:
        department = staff.department
    if department is None and not data.text.strip() and not data.voice_message_path:
        raise InvalidComplaint("a complaint needs a department, a text or a voice message")
    phone = ""
    if data.caller_phone.strip():
        try:
            phone = normalise_phone(data.caller_phone, default_area_code=default_area_code)
        except PhoneError as err:
            if data.channel == "agent":
                raise InvalidComplaint(err.reason) from None
            phone = ""  # an anonymous caller may still complain by DTMF
    patient_id = await _patient(data.patient_id, phone, session=session)
    created = now()
    due = aware(data.due_at, zone) if data.due_at else created + dt.timedelta(days=due_days)
    row = Complaint(
        id=uuid7(),
        reference=await _free_reference(session),
        channel=data.channel,
        status="new",
        department_id=department.id if department else None,
        staff_id=staff.id if staff else None,
        patient_id=patient_id,
        caller_phone=phone,
        text=data.text.strip(),
        voice_message_path=data.voice_message_path,
        call_uuid=data.call_uuid,
        cdr_id=data.cdr_id,
        recording_id=data.recording_id,
        due_at=due,
        created_at=created,
    )
    session.add(row)
    try:
        await session.commit()
    except IntegrityError as err:
        await session.rollback()
        raise Conflict("could not store the complaint (reference clash); try again") from err
    return await get_complaint(row.id, session=session)


async def _free_reference(session: AsyncSession) -> str:
    for _ in range(5):
        reference = f"{secrets.randbelow(10**6):06d}"
        if not await session.scalar(select(Complaint.id).where(Complaint.reference == reference)):
            return reference
    return f"{secrets.randbelow(10**8):08d}"


async def _patient(patient_id: str | None, phone: str, *, session: AsyncSession) -> str | None:
    if patient_id:
        if await session.get(Patient, patient_id) is None:
            raise NotFound(f"no patient {patient_id}")
        return patient_id
    if phone:
        owners = set(
            await session.scalars(select(PatientPhone.patient_id).where(PatientPhone.number == phone))
        )
        if len(owners) == 1:
            return owners.pop()
    return None


async def get_complaint(complaint_id: str, *, session: AsyncSession) -> Complaint:
    row = await session.scalar(
        select(Complaint).where(Complaint.id == complaint_id).execution_options(populate_existing=True)
    )
    if row is None:
        raise NotFound(f"no complaint {complaint_id}")
    return row


def _move(row: Complaint, target: str) -> None:
    if target not in NEXT[row.status]:
        raise Conflict(f"complaint {row.reference} is {row.status}; it cannot become {target}")
    row.status = target


async def assign(
    complaint_id: str, assignee: str, *, session: AsyncSession, zone: str, due_at: dt.datetime | None = None
) -> Complaint:
    row = await get_complaint(complaint_id, session=session)
    _move(row, "assigned")
    row.assignee = assignee.strip()
    if due_at is not None:
        row.due_at = aware(due_at, zone)
    await session.commit()
    return await get_complaint(complaint_id, session=session)


async def resolve(complaint_id: str, resolution: str, *, session: AsyncSession) -> Complaint:
    row = await get_complaint(complaint_id, session=session)
    _move(row, "resolved")
    row.resolution, row.resolved_at = resolution.strip(), now()
    await session.commit()
    return await get_complaint(complaint_id, session=session)


async def close(complaint_id: str, *, session: AsyncSession) -> Complaint:
    row = await get_complaint(complaint_id, session=session)
    if row.status == "closed":
        return row
    _move(row, "closed")
    row.closed_at = now()
    await session.commit()
    return await get_complaint(complaint_id, session=session)


async def link(complaint_id: str, data: LinkIn, *, session: AsyncSession) -> Complaint:
    row = await get_complaint(complaint_id, session=session)
    for name in data.model_fields_set:
        value = getattr(data, name)
        setattr(row, name, value or "")
    await session.commit()
    return await get_complaint(complaint_id, session=session)


async def link_cdr(call_uuid: str, cdr_id: str, recording_id: str, *, session: AsyncSession) -> None:
    """Attach a call's CDR (the A leg's uuid) and recording to complaints filed during it; the first
    value seen sticks. No commit: the caller's transaction also stores the call leg."""
    if not call_uuid:
        return
    during = (Complaint.call_uuid == call_uuid,)
    if cdr_id:
        await session.execute(update(Complaint).where(*during, Complaint.cdr_id == "").values(cdr_id=cdr_id))
    if recording_id:
        await session.execute(
            update(Complaint).where(*during, Complaint.recording_id == "").values(recording_id=recording_id)
        )


def is_overdue(row: Complaint, at: dt.datetime | None = None) -> bool:
    return row.status in OPEN and utc(row.due_at) < (at or now())


async def list_complaints(
    *,
    session: AsyncSession,
    status: str | None = None,
    patient_id: str | None = None,
    department_code: str | None = None,
    overdue: bool = False,
    call_uuid: str | None = None,
    limit: int = 100,
    offset: int = 0,
) -> tuple[list[Complaint], int]:
    query = select(Complaint)
    if status:
        query = query.where(Complaint.status == status)
    if patient_id:
        query = query.where(Complaint.patient_id == patient_id)
    if department_code:
        department = await directory.department_by_code(department_code, session=session)
        query = query.where(Complaint.department_id == department.id)
    if call_uuid:
        query = query.where(Complaint.call_uuid == call_uuid)
    if overdue:
        query = query.where(Complaint.status.in_(OPEN), Complaint.due_at < now())
    total = await session.scalar(select(func.count()).select_from(query.subquery()))
    rows = await session.scalars(
        query.order_by(Complaint.due_at if overdue else Complaint.created_at, Complaint.id)
        .limit(limit)
        .offset(offset)
    )
    return list(rows), int(total or 0)


async def escalate_overdue(*, session: AsyncSession, due_days: int) -> list[Complaint]:
    """Raise the level of every overdue complaint and give the next level ``due_days`` more."""
    at = now()
    rows = list(
        await session.scalars(
            select(Complaint)
            .where(Complaint.status.in_(OPEN), Complaint.due_at < at)
            .order_by(Complaint.due_at)
        )
    )
    for row in rows:
        row.escalation_level += 1
        row.escalated_at = at
        row.due_at = at + dt.timedelta(days=due_days)
    await session.commit()
    return rows

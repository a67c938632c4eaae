"""Complaints over HTTP under /v1 (R-CMP1): thin routes over :mod:`careline.crm.complaints`."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request

from careline.crm import complaints
from careline.crm.api import AreaCode, Session
from careline.crm.api_directory import Zone
from careline.crm.clock import utc
from careline.crm.domain import MAX_OFFSET
from careline.crm.models import Complaint
from careline.crm.schemas_complaints import (
    AssignIn,
    ComplaintIn,
    ComplaintOut,
    ComplaintPage,
    LinkIn,
    ResolveIn,
    Status,
)

router = APIRouter(prefix="/v1", tags=["complaints"])


def _due_days(request: Request) -> int:
    return request.app.state.settings.complaint_due_days


DueDays = Annotated[int, Depends(_due_days)]


def _opt(value):
    return utc(value) if value is not None else None


def complaint_out(row: Complaint) -> ComplaintOut:
    return ComplaintOut(
        id=row.id,
        reference=row.reference,
        channel=row.channel,
        status=row.status,
        department_code=row.department.code if row.department else None,
        department_name=row.department.name if row.department else None,
        staff_code=row.staff.code if row.staff else None,
        staff_name=row.staff.name if row.staff else None,
        patient_id=row.patient_id,
        caller_phone=row.caller_phone,
        text=row.text,
        voice_message_path=row.voice_message_path,
        call_uuid=row.call_uuid,
        cdr_id=row.cdr_id,
        recording_id=row.recording_id,
        assignee=row.assignee,
        resolution=row.resolution,
        due_at=utc(row.due_at),
        overdue=complaints.is_overdue(row),
        escalation_level=row.escalation_level,
        escalated_at=_opt(row.escalated_at),
        created_at=utc(row.created_at),
        resolved_at=_opt(row.resolved_at),
        closed_at=_opt(row.closed_at),
    )


@router.post("/complaints", status_code=201, response_model=ComplaintOut)
async def file_complaint(
    body: ComplaintIn, session: Session, zone: Zone, due_days: DueDays, area: AreaCode
) -> ComplaintOut:
    row = await complaints.file_complaint(
        body, session=session, zone=zone, due_days=due_days, default_area_code=area
    )
    return complaint_out(row)


@router.get("/complaints", response_model=ComplaintPage)
async def list_complaints(
    session: Session,
    status: Status | None = None,
    patient_id: str | None = None,
    department: str | None = None,
    overdue: bool = False,
    limit: Annotated[int, Query(ge=1, le=200)] = 100,
    offset: Annotated[int, Query(ge=0, le=MAX_OFFSET)] = 0,
) -> ComplaintPage:
    rows, total = await complaints.list_complaints(
        session=session,
        status=status,
        patient_id=patient_id,
        department_code=department,
        overdue=overdue,
        limit=limit,
        offset=offset,
    )
    return ComplaintPage(items=[complaint_out(r) for r in rows], total=total)


@router.post("/complaints/escalate", response_model=list[ComplaintOut])
async def escalate(session: Session, due_days: DueDays) -> list[ComplaintOut]:
    """Escalate every overdue complaint one level (a cron or a supervisor calls it)."""
    return [complaint_out(r) for r in await complaints.escalate_overdue(session=session, due_days=due_days)]


@router.get("/complaints/{complaint_id}", response_model=ComplaintOut)
async def get_complaint(complaint_id: str, session: Session) -> ComplaintOut:
    return complaint_out(await complaints.get_complaint(complaint_id, session=session))


@router.post("/complaints/{complaint_id}/assign", response_model=ComplaintOut)
async def assign(complaint_id: str, body: AssignIn, session: Session, zone: Zone) -> ComplaintOut:
    row = await complaints.assign(complaint_id, body.assignee, session=session, zone=zone, due_at=body.due_at)
    return complaint_out(row)


@router.post("/complaints/{complaint_id}/resolve", response_model=ComplaintOut)
async def resolve(complaint_id: str, body: ResolveIn, session: Session) -> ComplaintOut:
    return complaint_out(await complaints.resolve(complaint_id, body.resolution, session=session))


@router.post("/complaints/{complaint_id}/close", response_model=ComplaintOut)
async def close(complaint_id: str, session: Session) -> ComplaintOut:
    return complaint_out(await complaints.close(complaint_id, session=session))


@router.patch("/complaints/{complaint_id}/links", response_model=ComplaintOut)
async def link(complaint_id: str, body: LinkIn, session: Session) -> ComplaintOut:
    """Attach the call, its CDR and recording by hand (the CDR consumer does it for calls it sees)."""
    return complaint_out(await complaints.link(complaint_id, body, session=session))

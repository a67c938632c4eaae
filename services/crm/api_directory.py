"""Hospital directory over HTTP under /v1 (R-ADM3): thin routes over :mod:`careline.crm.directory`."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Request, Response

from careline.crm import directory
from careline.crm.api import Session
from careline.crm.clock import utc
from careline.crm.models import Expert, Schedule, Staff
from careline.crm.schemas_directory import (
    DepartmentIn,
    DepartmentOut,
    DepartmentPatch,
    ExpertIn,
    ExpertOut,
    ExpertPatch,
    ScheduleIn,
    ScheduleOut,
    SlotOut,
    StaffIn,
    StaffOut,
    StaffPatch,
)

router = APIRouter(prefix="/v1", tags=["directory"])
CodePath = Annotated[str, Path(pattern=r"^\d{1,8}$")]


def _zone(request: Request) -> str:
    return request.app.state.settings.timezone


Zone = Annotated[str, Depends(_zone)]


def staff_out(row: Staff) -> StaffOut:
    return StaffOut(
        id=row.id,
        code=row.code,
        name=row.name,
        title=row.title,
        department_code=row.department.code,
        department_name=row.department.name,
        enabled=row.enabled,
    )


def expert_out(row: Expert) -> ExpertOut:
    return ExpertOut(
        id=row.id,
        number=row.number,
        name=row.name,
        title=row.title,
        department_code=row.department.code,
        department_name=row.department.name,
        introduction=row.introduction,
        enabled=row.enabled,
    )


def schedule_out(row: Schedule) -> ScheduleOut:
    return ScheduleOut(
        id=row.id,
        department_code=row.department.code,
        department_name=row.department.name,
        expert_number=row.expert.number if row.expert else None,
        expert_name=row.expert.name if row.expert else None,
        day=row.day,
        note=row.note,
        slots=[
            SlotOut(
                id=s.id,
                starts_at=utc(s.starts_at),
                ends_at=utc(s.ends_at),
                capacity=s.capacity,
                booked=s.booked,
                free=s.capacity - s.booked,
            )
            for s in row.slots
        ],
    )


@router.post("/departments", status_code=201, response_model=DepartmentOut)
async def create_department(body: DepartmentIn, session: Session) -> DepartmentOut:
    return DepartmentOut.model_validate(await directory.create_department(body, session=session))


@router.get("/departments", response_model=list[DepartmentOut])
async def list_departments(session: Session) -> list[DepartmentOut]:
    return [DepartmentOut.model_validate(d) for d in await directory.list_departments(session=session)]


@router.get("/departments/{code}", response_model=DepartmentOut)
async def get_department(code: CodePath, session: Session) -> DepartmentOut:
    return DepartmentOut.model_validate(await directory.department_by_code(code, session=session))


@router.patch("/departments/{code}", response_model=DepartmentOut)
async def update_department(code: CodePath, body: DepartmentPatch, session: Session) -> DepartmentOut:
    return DepartmentOut.model_validate(await directory.update_department(code, body, session=session))


@router.post("/staff", status_code=201, response_model=StaffOut)
async def create_staff(body: StaffIn, session: Session) -> StaffOut:
    return staff_out(await directory.create_staff(body, session=session))


@router.get("/staff", response_model=list[StaffOut])
async def list_staff(session: Session, department: str | None = None) -> list[StaffOut]:
    return [staff_out(s) for s in await directory.list_staff(session=session, department_code=department)]


@router.get("/staff/{code}", response_model=StaffOut)
async def get_staff(code: CodePath, session: Session) -> StaffOut:
    return staff_out(await directory.staff_by_code(code, session=session))


@router.patch("/staff/{code}", response_model=StaffOut)
async def update_staff(code: CodePath, body: StaffPatch, session: Session) -> StaffOut:
    return staff_out(await directory.update_staff(code, body, session=session))


@router.post("/experts", status_code=201, response_model=ExpertOut)
async def create_expert(body: ExpertIn, session: Session) -> ExpertOut:
    return expert_out(await directory.create_expert(body, session=session))


@router.get("/experts", response_model=list[ExpertOut])
async def list_experts(session: Session) -> list[ExpertOut]:
    return [expert_out(e) for e in await directory.list_experts(session=session)]


# Expert numbers are 1..9999 (ExpertIn); a larger one in the path gave a 500 (issue 9 §7).
ExpertNumber = Annotated[int, Path(ge=1, le=9999)]


@router.get("/experts/{number}", response_model=ExpertOut)
async def get_expert(number: ExpertNumber, session: Session) -> ExpertOut:
    return expert_out(await directory.expert_by_number(number, session=session))


@router.patch("/experts/{number}", response_model=ExpertOut)
async def update_expert(number: ExpertNumber, body: ExpertPatch, session: Session) -> ExpertOut:
    return expert_out(await directory.update_expert(number, body, session=session))


@router.post("/schedules", status_code=201, response_model=ScheduleOut)
async def create_schedule(body: ScheduleIn, session: Session, zone: Zone) -> ScheduleOut:
    return schedule_out(await directory.create_schedule(body, session=session, zone=zone))


@router.get("/schedules", response_model=list[ScheduleOut])
async def list_schedules(
    session: Session,
    department: str | None = None,
    day_from: dt.date | None = None,
    day_to: dt.date | None = None,
) -> list[ScheduleOut]:
    rows = await directory.list_schedules(
        session=session, department_code=department, day_from=day_from, day_to=day_to
    )
    return [schedule_out(s) for s in rows]


@router.get("/schedules/{schedule_id}", response_model=ScheduleOut)
async def get_schedule(schedule_id: str, session: Session) -> ScheduleOut:
    return schedule_out(await directory.get_schedule(schedule_id, session=session))


@router.delete("/schedules/{schedule_id}", status_code=204)
async def delete_schedule(schedule_id: str, session: Session) -> Response:
    await directory.delete_schedule(schedule_id, session=session)
    return Response(status_code=204)

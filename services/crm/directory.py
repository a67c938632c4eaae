"""The hospital directory (R-ADM3): departments, staff, experts, schedules with slots and capacity.

Codes are what callers key in (department + staff code for a complaint, R-CMP1; department code for
an IVR appointment, R-REG3), so they are digits and unique. Everything is editable at any time
(R-ADM3); a schedule whose slots hold bookings cannot be deleted (the bookings would be orphaned).
"""

from __future__ import annotations

import datetime as dt

from pydantic import BaseModel
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from careline.core.ids import uuid7
from careline.core.web import Conflict, DomainError, NotFound
from careline.crm.clock import local_to_utc
from careline.crm.models import Department, Expert, Schedule, Slot, Staff
from careline.crm.schemas_directory import (
    DepartmentIn,
    DepartmentPatch,
    ExpertIn,
    ExpertPatch,
    ScheduleIn,
    StaffIn,
    StaffPatch,
)


class InvalidDirectory(DomainError):
    status_code = 422


async def _commit(session: AsyncSession, what: str) -> None:
    try:
        await session.commit()
    except IntegrityError as err:  # a unique code taken by a concurrent writer
        await session.rollback()
        raise Conflict(f"{what} already exists") from err


def _apply(row: object, patch: BaseModel, skip: tuple[str, ...] = ()) -> None:
    """Copy the fields the client sent (PATCH) onto the row; ``None`` for a required field is refused."""
    for name in patch.model_fields_set - set(skip):
        value = getattr(patch, name)
        if value is None:
            raise InvalidDirectory(f"{name} cannot be null")
        setattr(row, name, value.strip() if isinstance(value, str) else value)


# --- departments ------------------------------------------------------------------------------------


async def department_by_code(code: str, *, session: AsyncSession) -> Department:
    row = await session.scalar(select(Department).where(Department.code == code.strip()))
    if row is None:
        raise NotFound(f"no department with code {code}")
    return row


async def create_department(data: DepartmentIn, *, session: AsyncSession) -> Department:
    if await session.scalar(select(Department.id).where(Department.code == data.code)):
        raise Conflict(f"department code {data.code} is taken")
    row = Department(id=uuid7(), **data.model_dump())
    row.name = row.name.strip()
    session.add(row)
    await _commit(session, f"department code {data.code}")
    return row


async def update_department(code: str, patch: DepartmentPatch, *, session: AsyncSession) -> Department:
    row = await department_by_code(code, session=session)
    if patch.code and patch.code != row.code:
        if await session.scalar(select(Department.id).where(Department.code == patch.code)):
            raise Conflict(f"department code {patch.code} is taken")
    _apply(row, patch)
    await _commit(session, f"department code {patch.code}")
    return row


async def list_departments(*, session: AsyncSession) -> list[Department]:
    return list(await session.scalars(select(Department).order_by(Department.code)))


# --- staff ------------------------------------------------------------------------------------------


async def staff_by_code(code: str, *, session: AsyncSession) -> Staff:
    row = await session.scalar(select(Staff).where(Staff.code == code.strip()))
    if row is None:
        raise NotFound(f"no staff member with code {code}")
    return row


async def create_staff(data: StaffIn, *, session: AsyncSession) -> Staff:
    department = await department_by_code(data.department_code, session=session)
    if await session.scalar(select(Staff.id).where(Staff.code == data.code)):
        raise Conflict(f"staff code {data.code} is taken")
    row = Staff(id=uuid7(), department=department, **data.model_dump(exclude={"department_code"}))
    session.add(row)
    await _commit(session, f"staff code {data.code}")
    return row


async def update_staff(code: str, patch: StaffPatch, *, session: AsyncSession) -> Staff:
    row = await staff_by_code(code, session=session)
    if patch.code and patch.code != row.code:
        if await session.scalar(select(Staff.id).where(Staff.code == patch.code)):
            raise Conflict(f"staff code {patch.code} is taken")
    if patch.department_code:
        row.department = await department_by_code(patch.department_code, session=session)
    _apply(row, patch, skip=("department_code",))
    await _commit(session, f"staff code {patch.code}")
    return row


async def list_staff(*, session: AsyncSession, department_code: str | None = None) -> list[Staff]:
    query = select(Staff).order_by(Staff.code)
    if department_code:
        department = await department_by_code(department_code, session=session)
        query = query.where(Staff.department_id == department.id)
    return list(await session.scalars(query))


# --- experts ----------------------------------------------------------------------------------------


async def expert_by_number(number: int, *, session: AsyncSession) -> Expert:
    row = await session.scalar(select(Expert).where(Expert.number == number))
    if row is None:
        raise NotFound(f"no expert number {number}")
    return row


async def create_expert(data: ExpertIn, *, session: AsyncSession) -> Expert:
    department = await department_by_code(data.department_code, session=session)
    if await session.scalar(select(Expert.id).where(Expert.number == data.number)):
        raise Conflict(f"expert number {data.number} is taken")
    row = Expert(id=uuid7(), department=department, **data.model_dump(exclude={"department_code"}))
    session.add(row)
    await _commit(session, f"expert number {data.number}")
    return row


async def update_expert(number: int, patch: ExpertPatch, *, session: AsyncSession) -> Expert:
    row = await expert_by_number(number, session=session)
    if patch.number and patch.number != row.number:
        if await session.scalar(select(Expert.id).where(Expert.number == patch.number)):
            raise Conflict(f"expert number {patch.number} is taken")
    if patch.department_code:
        row.department = await department_by_code(patch.department_code, session=session)
    _apply(row, patch, skip=("department_code",))
    await _commit(session, f"expert number {patch.number}")
    return row


async def list_experts(*, session: AsyncSession, enabled_only: bool = False) -> list[Expert]:
    query = select(Expert).order_by(Expert.number)
    if enabled_only:
        query = query.where(Expert.enabled.is_(True))
    return list(await session.scalars(query))


# --- schedules and slots ----------------------------------------------------------------------------


def _slots(data: ScheduleIn, zone: str) -> list[Slot]:
    slots: list[Slot] = []
    starts: set[dt.time] = set()
    for item in sorted(data.slots, key=lambda s: s.start):
        if item.end <= item.start:
            raise InvalidDirectory(f"slot {item.start:%H:%M} ends at {item.end:%H:%M}, before it starts")
        if item.start in starts:
            raise InvalidDirectory(f"slot {item.start:%H:%M} is listed twice")
        if slots and local_to_utc(data.day, item.start, zone) < slots[-1].ends_at:
            raise InvalidDirectory(f"slot {item.start:%H:%M} overlaps the slot before it")
        starts.add(item.start)
        slots.append(
            Slot(
                id=uuid7(),
                starts_at=local_to_utc(data.day, item.start, zone),
                ends_at=local_to_utc(data.day, item.end, zone),
                capacity=item.capacity,
                booked=0,
            )
        )
    return slots


async def create_schedule(data: ScheduleIn, *, session: AsyncSession, zone: str) -> Schedule:
    department = await department_by_code(data.department_code, session=session)
    expert = None
    if data.expert_number is not None:
        expert = await expert_by_number(data.expert_number, session=session)
        if expert.department_id != department.id:
            raise InvalidDirectory(
                f"expert {expert.number} works in department {expert.department.code}, not {department.code}"
            )
    schedule = Schedule(
        id=uuid7(),
        department=department,
        expert=expert,
        day=data.day,
        note=data.note,
        slots=_slots(data, zone),
    )
    session.add(schedule)
    await _commit(session, "schedule")
    return await get_schedule(schedule.id, session=session)


async def get_schedule(schedule_id: str, *, session: AsyncSession) -> Schedule:
    row = await session.scalar(
        select(Schedule)
        .where(Schedule.id == schedule_id)
        .options(selectinload(Schedule.slots))
        .execution_options(populate_existing=True)
    )
    if row is None:
        raise NotFound(f"no schedule {schedule_id}")
    return row


async def list_schedules(
    *,
    session: AsyncSession,
    department_code: str | None = None,
    day_from: dt.date | None = None,
    day_to: dt.date | None = None,
) -> list[Schedule]:
    query = select(Schedule).options(selectinload(Schedule.slots)).order_by(Schedule.day, Schedule.id)
    if department_code:
        department = await department_by_code(department_code, session=session)
        query = query.where(Schedule.department_id == department.id)
    if day_from:
        query = query.where(Schedule.day >= day_from)
    if day_to:
        query = query.where(Schedule.day <= day_to)
    return list(await session.scalars(query.execution_options(populate_existing=True)))


async def delete_schedule(schedule_id: str, *, session: AsyncSession) -> None:
    schedule = await get_schedule(schedule_id, session=session)
    booked = sum(slot.booked for slot in schedule.slots)
    if booked:
        raise Conflict(f"schedule {schedule_id} holds {booked} booking(s); cancel them first")
    await session.delete(schedule)
    await session.commit()

"""The demo hospital (``demo_hospital.json``): departments, staff, experts, schedules, information,
drugs and a few patients including VIPs, for ``make demo`` and end-to-end tests.

Idempotent: each record is keyed by what identifies it (department/staff code, expert number, info
kind + number, patient ID number, schedule department + expert + day) and skipped when present, so the
demo may load it on every start. Schedules are relative to ``today`` so the slots are always ahead.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, fields
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from careline.crm import directory, domain, info
from careline.crm.models import Department, Expert, InfoItem, Patient, Schedule, Staff
from careline.crm.schemas import PatientCreate
from careline.crm.schemas_directory import DepartmentIn, ExpertIn, ScheduleIn, StaffIn
from careline.crm.schemas_info import InfoIn

DEMO_FILE = Path(__file__).with_name("demo_hospital.json")


@dataclass
class Loaded:
    """How many records of each kind this call added (0 everywhere on a second load)."""

    departments: int = 0
    staff: int = 0
    experts: int = 0
    schedules: int = 0
    info: int = 0
    patients: int = 0

    def total(self) -> int:
        return sum(getattr(self, f.name) for f in fields(self))


def demo_document(path: Path = DEMO_FILE) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


async def load_demo_hospital(
    session: AsyncSession,
    *,
    zone: str = "Asia/Shanghai",
    today: dt.date | None = None,
    document: dict | None = None,
    default_area_code: str | None = None,
) -> Loaded:
    doc = document or demo_document()
    today = today or dt.datetime.now(ZoneInfo(zone)).date()
    loaded = Loaded()
    for item in doc["departments"]:
        if not await session.scalar(select(Department.id).where(Department.code == item["code"])):
            await directory.create_department(DepartmentIn(**item), session=session)
            loaded.departments += 1
    for item in doc["staff"]:
        if not await session.scalar(select(Staff.id).where(Staff.code == item["code"])):
            await directory.create_staff(StaffIn(**item), session=session)
            loaded.staff += 1
    for item in doc["experts"]:
        if not await session.scalar(select(Expert.id).where(Expert.number == item["number"])):
            await directory.create_expert(ExpertIn(**item), session=session)
            loaded.experts += 1
    for item in doc["schedules"]:
        loaded.schedules += await _schedule(item, today, session=session, zone=zone)
    for item in doc["info"]:
        if not await session.scalar(
            select(InfoItem.id).where(InfoItem.kind == item["kind"], InfoItem.number == item["number"])
        ):
            await info.create_item(InfoIn(**item), session=session)
            loaded.info += 1
    for item in doc["patients"]:
        if not await session.scalar(select(Patient.id).where(Patient.id_number == item["id_number"])):
            await domain.create_patient(
                PatientCreate(**item), session=session, default_area_code=default_area_code
            )
            loaded.patients += 1
    return loaded


async def _schedule(item: dict, today: dt.date, *, session: AsyncSession, zone: str) -> int:
    data = ScheduleIn(
        **{k: v for k, v in item.items() if k != "day_offset"},
        day=today + dt.timedelta(days=item["day_offset"]),
    )
    department = await directory.department_by_code(data.department_code, session=session)
    expert_id = None
    if data.expert_number is not None:
        expert_id = (await directory.expert_by_number(data.expert_number, session=session)).id
    exists = await session.scalar(
        select(Schedule.id).where(
            Schedule.department_id == department.id,
            Schedule.day == data.day,
            Schedule.expert_id.is_(None) if expert_id is None else Schedule.expert_id == expert_id,
        )
    )
    if exists:
        return 0
    await directory.create_schedule(data, session=session, zone=zone)
    return 1


async def load_demo_hospital_at(
    db_url: str, *, zone: str = "Asia/Shanghai", today: dt.date | None = None
) -> Loaded:
    """Migrate the CRM database at ``db_url`` and load the demo hospital into it (for the demo runner)."""
    from careline.core import db

    await db.migrate(db_url, "crm")
    engine = db.make_engine(db_url)
    try:
        async with db.session_factory(engine)() as session:
            return await load_demo_hospital(session, zone=zone, today=today)
    finally:
        await engine.dispose()

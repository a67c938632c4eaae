"""Request and response models of the hospital directory (R-ADM3)."""

from __future__ import annotations

import datetime as dt

from pydantic import BaseModel, ConfigDict, Field

Code = Field(pattern=r"^\d{1,8}$", description="digits a caller can key in")


class DepartmentIn(BaseModel):
    code: str = Code
    name: str = Field(min_length=1, max_length=64)
    description: str = Field(default="", max_length=4000)
    enabled: bool = True


class DepartmentPatch(BaseModel):
    code: str | None = Field(default=None, pattern=r"^\d{1,8}$")
    name: str | None = Field(default=None, min_length=1, max_length=64)
    description: str | None = Field(default=None, max_length=4000)
    enabled: bool | None = None


class DepartmentOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    code: str
    name: str
    description: str
    enabled: bool


class StaffIn(BaseModel):
    code: str = Code
    name: str = Field(min_length=1, max_length=64)
    title: str = Field(default="", max_length=64)
    department_code: str = Code
    enabled: bool = True


class StaffPatch(BaseModel):
    code: str | None = Field(default=None, pattern=r"^\d{1,8}$")
    name: str | None = Field(default=None, min_length=1, max_length=64)
    title: str | None = Field(default=None, max_length=64)
    department_code: str | None = Field(default=None, pattern=r"^\d{1,8}$")
    enabled: bool | None = None


class StaffOut(BaseModel):
    id: str
    code: str
    name: str
    title: str
    department_code: str
    department_name: str
    enabled: bool


class ExpertIn(BaseModel):
    number: int = Field(ge=1, le=9999)
    name: str = Field(min_length=1, max_length=64)
    title: str = Field(default="", max_length=64)
    department_code: str = Code
    introduction: str = Field(default="", max_length=8000)
    enabled: bool = True


class ExpertPatch(BaseModel):
    number: int | None = Field(default=None, ge=1, le=9999)
    name: str | None = Field(default=None, min_length=1, max_length=64)
    title: str | None = Field(default=None, max_length=64)
    department_code: str | None = Field(default=None, pattern=r"^\d{1,8}$")
    introduction: str | None = Field(default=None, max_length=8000)
    enabled: bool | None = None


class ExpertOut(BaseModel):
    id: str
    number: int
    name: str
    title: str
    department_code: str
    department_name: str
    introduction: str
    enabled: bool


class SlotIn(BaseModel):
    start: dt.time = Field(description="local time of the hospital, e.g. 08:30")
    end: dt.time
    capacity: int = Field(ge=1, le=1000)


class ScheduleIn(BaseModel):
    department_code: str = Code
    expert_number: int | None = Field(default=None, ge=1, le=9999)
    day: dt.date
    note: str = Field(default="", max_length=128)
    slots: list[SlotIn] = Field(min_length=1, max_length=96)


class SlotOut(BaseModel):
    id: str
    starts_at: dt.datetime
    ends_at: dt.datetime
    capacity: int
    booked: int
    free: int


class ScheduleOut(BaseModel):
    id: str
    department_code: str
    department_name: str
    expert_number: int | None
    expert_name: str | None
    day: dt.date
    note: str
    slots: list[SlotOut]

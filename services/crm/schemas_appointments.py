"""Request and response models of appointments (R-REG2, R-REG3)."""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import BaseModel, Field

Status = Literal["booked", "checked_in", "cancelled", "expired"]


class AgentBookingIn(BaseModel):
    """R-REG2: any caller; name and intended time are enough. A slot, when given, holds a seat."""

    caller_name: str = Field(min_length=1, max_length=64)
    caller_phone: str = Field(default="", max_length=40)
    intended_at: dt.datetime | None = Field(
        default=None, description="without an offset: the hospital's local time; defaults to the slot's start"
    )
    department_code: str | None = Field(default=None, pattern=r"^\d{1,8}$")
    slot_id: str | None = None
    patient_id: str | None = None
    card_number: str | None = Field(default=None, max_length=32)
    agent_id: str = Field(default="", max_length=64)
    call_uuid: str = Field(default="", max_length=64)
    note: str = Field(default="", max_length=2000)


class CardBookingIn(BaseModel):
    """R-REG3: a card holder books a department's slot (by id, or by day and optional start time)."""

    card_number: str = Field(min_length=1, max_length=32)
    department_code: str = Field(pattern=r"^\d{1,8}$")
    slot_id: str | None = None
    day: dt.date | None = None
    start: dt.time | None = Field(default=None, description="local start time; omitted: first free slot")
    call_uuid: str = Field(default="", max_length=64)


class AppointmentOut(BaseModel):
    id: str
    confirmation_code: str
    channel: str
    status: Status
    patient_id: str | None
    caller_name: str
    caller_phone: str
    card_number: str
    department_code: str | None
    department_name: str | None
    slot_id: str | None
    intended_at: dt.datetime
    expires_at: dt.datetime
    call_uuid: str
    agent_id: str
    note: str
    read_back: str
    created_at: dt.datetime


class AppointmentPage(BaseModel):
    items: list[AppointmentOut]
    total: int

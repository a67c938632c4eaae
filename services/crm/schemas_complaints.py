"""Request and response models of complaints (R-CMP1)."""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import BaseModel, Field

Status = Literal["new", "assigned", "resolved", "closed"]


class ComplaintIn(BaseModel):
    """Filed by an agent (any fields) or by the IVR after DTMF input (department code required)."""

    channel: Literal["agent", "dtmf"] = "agent"
    department_code: str | None = Field(default=None, pattern=r"^\d{1,8}$")
    staff_code: str | None = Field(default=None, pattern=r"^\d{1,8}$")
    patient_id: str | None = None
    caller_phone: str = Field(default="", max_length=40)
    text: str = Field(default="", max_length=8000)
    voice_message_path: str = Field(default="", max_length=512)
    call_uuid: str = Field(default="", max_length=64)
    cdr_id: str = Field(default="", max_length=64)
    recording_id: str = Field(default="", max_length=512)
    due_at: dt.datetime | None = Field(default=None, description="default: now + the configured due days")


class AssignIn(BaseModel):
    assignee: str = Field(min_length=1, max_length=64)
    due_at: dt.datetime | None = None


class ResolveIn(BaseModel):
    resolution: str = Field(min_length=1, max_length=8000)


class LinkIn(BaseModel):
    call_uuid: str | None = Field(default=None, max_length=64)
    cdr_id: str | None = Field(default=None, max_length=64)
    recording_id: str | None = Field(default=None, max_length=512)


class ComplaintOut(BaseModel):
    id: str
    reference: str
    channel: str
    status: Status
    department_code: str | None
    department_name: str | None
    staff_code: str | None
    staff_name: str | None
    patient_id: str | None
    caller_phone: str
    text: str
    voice_message_path: str
    call_uuid: str
    cdr_id: str
    recording_id: str
    assignee: str
    resolution: str
    due_at: dt.datetime
    overdue: bool
    escalation_level: int
    escalated_at: dt.datetime | None
    created_at: dt.datetime
    resolved_at: dt.datetime | None
    closed_at: dt.datetime | None


class ComplaintPage(BaseModel):
    items: list[ComplaintOut]
    total: int

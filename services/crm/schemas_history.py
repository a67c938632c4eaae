"""Request and response models of the interaction history, notes, lost-card look-up and audit log."""

from __future__ import annotations

import datetime as dt

from pydantic import BaseModel, ConfigDict, Field

from careline.crm.schemas import PatientOut
from careline.crm.schemas_appointments import AppointmentOut
from careline.crm.schemas_complaints import ComplaintOut


class CallOut(BaseModel):
    call_uuid: str
    direction: str
    started_at: dt.datetime
    ended_at: dt.datetime
    billsec: int
    agent_id: str = ""
    queue: str = ""
    recording_id: str = ""
    hangup_cause: str = ""
    legs: list[str]


class NoteIn(BaseModel):
    author: str = Field(min_length=1, max_length=64)
    text: str = Field(min_length=1, max_length=8000)
    call_uuid: str = Field(default="", max_length=64)


class NoteOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    author: str
    text: str
    call_uuid: str
    created_at: dt.datetime


class HistoryOut(BaseModel):
    """Everything about a caller in one answer, so they need not repeat their story (R-CRM1)."""

    patient: PatientOut
    calls: list[CallOut]
    appointments: list[AppointmentOut]
    complaints: list[ComplaintOut]
    notes: list[NoteOut]


class LostCardIn(BaseModel):
    id_number: str = Field(min_length=1, max_length=18)
    name: str = Field(min_length=1, max_length=64)
    actor: str = Field(min_length=1, max_length=64, description="the agent asking (written to the audit log)")


class LostCardOut(BaseModel):
    patient_id: str
    name: str
    card_numbers: list[str]


class AuditOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    at: dt.datetime
    actor: str
    action: str
    target: str
    outcome: str
    detail: str


class HistorySearch(BaseModel):
    """``POST /v1/history/search``: exactly one of ID number or card, in the body so an ID number never
    sits in a URL (issue 9 §8)."""

    id_number: str | None = Field(default=None, max_length=18, description="18-character resident ID")
    card: str | None = Field(default=None, max_length=32)

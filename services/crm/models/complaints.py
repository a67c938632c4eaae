"""Complaints (R-CMP1, R-HUM1): filed by DTMF (department + staff code) or by an agent, tracked from
``new`` through ``assigned`` and ``resolved`` to ``closed`` against a due date; linked to the call
(``call_uuid``), its CDR (``cdr_id``, the leg uuid) and recordings.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import DateTime, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from careline.crm.models.base import Base, _now
from careline.crm.models.directory import Department, Staff

STATUSES = ("new", "assigned", "resolved", "closed")
OPEN = ("new", "assigned")


class Complaint(Base):
    __tablename__ = "crm_complaints"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    reference: Mapped[str] = mapped_column(String(8), unique=True)  # digits a caller can quote
    channel: Mapped[str] = mapped_column(String(8))  # "dtmf" or "agent"
    status: Mapped[str] = mapped_column(String(16), index=True)
    department_id: Mapped[str | None] = mapped_column(ForeignKey("crm_departments.id"), index=True)
    staff_id: Mapped[str | None] = mapped_column(ForeignKey("crm_staff.id"), index=True)
    patient_id: Mapped[str | None] = mapped_column(
        ForeignKey("crm_patients.id", ondelete="SET NULL"), index=True
    )
    caller_phone: Mapped[str] = mapped_column(String(16), default="")
    text: Mapped[str] = mapped_column(Text, default="")
    voice_message_path: Mapped[str] = mapped_column(String(512), default="")
    call_uuid: Mapped[str] = mapped_column(String(64), default="", index=True)
    cdr_id: Mapped[str] = mapped_column(String(64), default="")
    recording_id: Mapped[str] = mapped_column(String(512), default="")
    assignee: Mapped[str] = mapped_column(String(64), default="")
    resolution: Mapped[str] = mapped_column(Text, default="")
    due_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), index=True)
    escalation_level: Mapped[int] = mapped_column(Integer, default=0)
    escalated_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=_now)
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=_now, onupdate=_now)
    resolved_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    closed_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))

    department: Mapped[Department | None] = relationship(lazy="joined")
    staff: Mapped[Staff | None] = relationship(lazy="joined")

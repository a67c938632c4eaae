"""What the CRM remembers about contacts (R-CRM1, R-HUM1, R-ADM2): calls seen in CDR facts, agents'
notes, and the audit log of sensitive look-ups (a lost card number is personal data)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import DateTime, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from careline.crm.models.base import Base, _now


class CallRecord(Base):
    """One call leg from a CDR_CREATED fact; the leg uuid is the key, so a repeated fact adds nothing."""

    __tablename__ = "crm_calls"

    leg_uuid: Mapped[str] = mapped_column(String(64), primary_key=True)
    call_uuid: Mapped[str] = mapped_column(String(64), index=True)
    direction: Mapped[str] = mapped_column(String(8))
    caller_number: Mapped[str] = mapped_column(String(40), default="")
    callee_number: Mapped[str] = mapped_column(String(40), default="")
    number: Mapped[str | None] = mapped_column(String(16), index=True)  # the patient's side, normalised
    queue: Mapped[str] = mapped_column(String(64), default="")
    agent_id: Mapped[str] = mapped_column(String(64), default="")
    started_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    answered_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    ended_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    billsec: Mapped[int] = mapped_column(Integer, default=0)
    hangup_cause: Mapped[str] = mapped_column(String(64), default="")
    recording_id: Mapped[str] = mapped_column(String(512), default="")


class Note(Base):
    __tablename__ = "crm_notes"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    patient_id: Mapped[str] = mapped_column(ForeignKey("crm_patients.id", ondelete="CASCADE"), index=True)
    author: Mapped[str] = mapped_column(String(64))
    text: Mapped[str] = mapped_column(Text)
    call_uuid: Mapped[str] = mapped_column(String(64), default="")
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=_now)


class AuditEntry(Base):
    __tablename__ = "crm_audit_log"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=_now, index=True)
    actor: Mapped[str] = mapped_column(String(64), index=True)
    action: Mapped[str] = mapped_column(String(64), index=True)
    target: Mapped[str] = mapped_column(String(64), default="")  # e.g. the patient id
    outcome: Mapped[str] = mapped_column(String(16))  # "found", "not_found", ...
    detail: Mapped[str] = mapped_column(Text, default="")

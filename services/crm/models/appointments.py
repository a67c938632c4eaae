"""Free appointments (R-REG1, R-REG2, R-REG3): booked by an agent for any caller, or in the IVR by a
card holder. A booking in a slot holds one of its seats (``Slot.booked``) until it is cancelled.

``expires_at`` is the end of the visit's day on the hospital's clock: a booking still ``booked`` then
becomes ``expired`` (the patient did not come).
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import DateTime, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from careline.crm.models.base import Base, _now
from careline.crm.models.directory import Department, Slot

STATUSES = ("booked", "checked_in", "cancelled", "expired")


class Appointment(Base):
    __tablename__ = "crm_appointments"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    confirmation_code: Mapped[str] = mapped_column(String(8), unique=True)  # read back, keyed in to cancel
    channel: Mapped[str] = mapped_column(String(8))  # "agent" (R-REG2) or "ivr" (R-REG3)
    status: Mapped[str] = mapped_column(String(16), index=True)
    patient_id: Mapped[str | None] = mapped_column(
        ForeignKey("crm_patients.id", ondelete="SET NULL"), index=True
    )
    caller_name: Mapped[str] = mapped_column(String(64))
    caller_phone: Mapped[str] = mapped_column(String(16), default="")  # normalised
    card_number: Mapped[str] = mapped_column(String(32), default="")
    department_id: Mapped[str | None] = mapped_column(ForeignKey("crm_departments.id"), index=True)
    slot_id: Mapped[str | None] = mapped_column(ForeignKey("crm_slots.id", ondelete="SET NULL"), index=True)
    intended_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    expires_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), index=True)
    call_uuid: Mapped[str] = mapped_column(String(64), default="")
    agent_id: Mapped[str] = mapped_column(String(64), default="")
    note: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=_now)
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=_now, onupdate=_now)

    department: Mapped[Department | None] = relationship(lazy="joined")
    slot: Mapped[Slot | None] = relationship(lazy="joined")

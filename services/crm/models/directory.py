"""The hospital directory (R-ADM3): departments and staff with the codes callers key in (R-CMP1),
numbered experts with their introductions (R-INFO1), and schedules of bookable slots (R-REG2, R-REG3).

A slot counts its own bookings (``booked``) so capacity is enforced by one conditional UPDATE
(``booked < capacity``), which neither SQLite (one writer) nor PostgreSQL (row lock, re-checked
WHERE) lets two transactions pass at once.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from careline.crm.models.base import Base, _now


class Department(Base):
    __tablename__ = "crm_departments"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    code: Mapped[str] = mapped_column(String(8), unique=True)  # digits, keyed in by callers
    name: Mapped[str] = mapped_column(String(64))
    description: Mapped[str] = mapped_column(Text, default="")
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=_now, onupdate=_now)


class Staff(Base):
    __tablename__ = "crm_staff"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    code: Mapped[str] = mapped_column(String(8), unique=True)
    name: Mapped[str] = mapped_column(String(64))
    title: Mapped[str] = mapped_column(String(64), default="")
    department_id: Mapped[str] = mapped_column(ForeignKey("crm_departments.id"), index=True)
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=_now, onupdate=_now)

    department: Mapped[Department] = relationship(lazy="joined")


class Expert(Base):
    """An expert callers reach by number; ``enabled`` switches the introduction on/off (R-INFO1)."""

    __tablename__ = "crm_experts"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    number: Mapped[int] = mapped_column(Integer, unique=True)
    name: Mapped[str] = mapped_column(String(64))
    title: Mapped[str] = mapped_column(String(64), default="")
    department_id: Mapped[str] = mapped_column(ForeignKey("crm_departments.id"), index=True)
    introduction: Mapped[str] = mapped_column(Text, default="")
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=_now, onupdate=_now)

    department: Mapped[Department] = relationship(lazy="joined")


class Schedule(Base):
    """One department's (optionally one expert's) clinic on one day; its slots carry the capacity."""

    __tablename__ = "crm_schedules"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    department_id: Mapped[str] = mapped_column(ForeignKey("crm_departments.id"), index=True)
    expert_id: Mapped[str | None] = mapped_column(ForeignKey("crm_experts.id"), index=True)
    day: Mapped[dt.date] = mapped_column(Date, index=True)
    note: Mapped[str] = mapped_column(String(128), default="")

    department: Mapped[Department] = relationship(lazy="joined")
    expert: Mapped[Expert | None] = relationship(lazy="joined")
    slots: Mapped[list[Slot]] = relationship(
        back_populates="schedule", cascade="all, delete-orphan", order_by="Slot.starts_at"
    )


class Slot(Base):
    __tablename__ = "crm_slots"
    __table_args__ = (
        UniqueConstraint("schedule_id", "starts_at", name="uq_crm_slot_per_schedule"),
        CheckConstraint("booked >= 0 AND booked <= capacity", name="seats"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    schedule_id: Mapped[str] = mapped_column(ForeignKey("crm_schedules.id", ondelete="CASCADE"), index=True)
    starts_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), index=True)
    ends_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    capacity: Mapped[int] = mapped_column(Integer)
    booked: Mapped[int] = mapped_column(Integer, default=0)

    schedule: Mapped[Schedule] = relationship(back_populates="slots")

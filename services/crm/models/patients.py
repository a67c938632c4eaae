"""Patients (R-CRM1, R-CRM2).

A patient has any number of visit cards and phone numbers. Phone numbers are stored normalised
(:mod:`careline.crm.phones`) so that caller-ID recognition is one indexed equality match; the same
number may appear on several patients (a family line), but only once per patient.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Boolean, DateTime, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from careline.crm.models.base import Base, _now


class Patient(Base):
    __tablename__ = "crm_patients"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    name: Mapped[str] = mapped_column(String(64), index=True)
    id_number: Mapped[str | None] = mapped_column(String(18), unique=True)
    vip: Mapped[bool] = mapped_column(Boolean, default=False)
    vip_level: Mapped[int] = mapped_column(Integer, default=0)
    # The IVR language the patient last chose ("zh", "en"); "" until they choose (issue 8, design §10).
    language: Mapped[str] = mapped_column(String(8), default="", server_default="")
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=_now)
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=_now, onupdate=_now)

    cards: Mapped[list[PatientCard]] = relationship(
        back_populates="patient", cascade="all, delete-orphan", order_by="PatientCard.position"
    )
    phones: Mapped[list[PatientPhone]] = relationship(
        back_populates="patient", cascade="all, delete-orphan", order_by="PatientPhone.position"
    )


class PatientCard(Base):
    __tablename__ = "crm_patient_cards"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    patient_id: Mapped[str] = mapped_column(ForeignKey("crm_patients.id", ondelete="CASCADE"), index=True)
    card_number: Mapped[str] = mapped_column(String(32), unique=True)
    position: Mapped[int] = mapped_column(Integer, default=0)

    patient: Mapped[Patient] = relationship(back_populates="cards")


class PatientPhone(Base):
    __tablename__ = "crm_patient_phones"
    __table_args__ = (UniqueConstraint("patient_id", "number", name="uq_crm_phone_per_patient"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    patient_id: Mapped[str] = mapped_column(ForeignKey("crm_patients.id", ondelete="CASCADE"), index=True)
    number: Mapped[str] = mapped_column(String(16), index=True)  # normalised digits
    raw: Mapped[str] = mapped_column(String(40))  # as entered, for display
    label: Mapped[str] = mapped_column(String(32), default="")
    owner: Mapped[str] = mapped_column(String(8), default="self")  # "self" or "family"
    primary: Mapped[bool] = mapped_column(Boolean, default=False)
    position: Mapped[int] = mapped_column(Integer, default=0)

    patient: Mapped[Patient] = relationship(back_populates="phones")

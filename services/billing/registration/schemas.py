"""Request/response models of formal registrations, the kiosk and the revenue report (R-REG4–R-REG6)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from pydantic import BaseModel, Field

from careline.billing.schemas import Key, Pin

CardNumber = Annotated[str, Field(pattern=r"^[0-9A-Za-z]{4,32}$")]
DepartmentCode = Annotated[str, Field(pattern=r"^\d{1,8}$")]


class RegistrationIn(BaseModel):
    """A formal (paid) registration: card + PIN, and the department's slot by id, or by day (YYYYMMDD on
    the hospital's calendar) with an optional local start (HHMM); ``expert_number`` picks an expert's
    clinic. The fee is charged at booking; the seat and the charge happen together or not at all."""

    idempotency_key: Key
    card_number: CardNumber
    pin: Pin
    department_code: DepartmentCode
    slot_id: str = Field(default="", max_length=36)
    day: str = Field(default="", pattern=r"^(\d{8}|\d{4}-\d{2}-\d{2})?$")
    start: str = Field(default="", pattern=r"^(\d{4}|\d{2}:\d{2})?$")
    expert_number: int = Field(default=0, ge=0, le=9999)  # CRM's expert numbers are 1..9999
    call_uuid: str = Field(default="", max_length=64)


class QuoteIn(BaseModel):
    card_number: CardNumber
    pin: Pin
    department_code: DepartmentCode
    lang: str = Field(default="zh", pattern="^(zh|en)$")


class QuoteOut(BaseModel):
    fee_fen: int
    balance_fen: int
    vip_level: int
    text: str


class RegistrationOut(BaseModel):
    id: str
    idempotency_key: str
    state: str
    card_number: str
    patient_id: str
    patient_name: str
    department_code: str
    department_name: str
    expert_number: int
    expert_name: str
    slot_id: str
    appointment_id: str
    confirmation_code: str
    starts_at: dt.datetime | None
    ends_at: dt.datetime | None
    local_day: dt.date | None
    expires_at: dt.datetime | None
    fee_fen: int
    charge_transaction_id: str | None
    refund_transaction_id: str | None
    checked_in_at: dt.datetime | None
    failure_reason: str | None


class SweepOut(BaseModel):
    refunded: list[str]
    checked_in: list[str]
    postponed: list[str]
    lost: list[str]
    recovered: int


class KioskIn(BaseModel):
    card_number: CardNumber
    pin: Pin


class KioskToday(BaseModel):
    card_number: str
    patient_id: str
    day: dt.date
    balance_fen: int
    registrations: list[RegistrationOut]


class SlipOut(BaseModel):
    registration_id: str
    confirmation_code: str
    patient_name: str
    card_number_masked: str
    department_code: str
    department_name: str
    expert_number: int
    expert_name: str
    visit_day: dt.date | None
    visit_time: str
    fee_fen: int
    fee_yuan: str
    checked_in_at: str | None
    printed_at: str
    time_zone: str


class RevenueRow(BaseModel):
    day: str | None = None
    type: str | None = None
    department: str | None = None
    department_name: str | None = None
    expert: str | None = None
    expert_name: str | None = None
    amount_fen: int
    transactions: int


class RevenueOut(BaseModel):
    start: dt.date
    end: dt.date
    time_zone: str
    group_by: list[str]
    rows: list[RevenueRow]
    total_fen: int

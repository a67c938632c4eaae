"""The table of formal (paid) registrations (R-REG4, R-REG5, R-REG6): the saga's persisted state.

One row per registration, unique by the caller's idempotency key. ``state`` moves only by compare-and-set
(``UPDATE … WHERE id = :id AND state = :from``) so two billing instances never both take a step:

    started ─hold seat─▶ seat_held ─charge─▶ booked ─kiosk─▶ checked_in
       │                    │                   └─day over, not checked in─▶ refunded
       └──────────┬─────────┘
             compensating ─release seat─▶ failed

Money is never stored here: the fee's charge and refund are ledger transactions keyed by the row's id
(``registration:<id>``, ``registration-refund:<id>``), written in the same database transaction as the
state change, so a state says exactly what the ledger holds.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import BigInteger, Date, DateTime, Index, Integer, String, Text, func
from sqlalchemy.orm import Mapped, mapped_column

from careline.billing.models import Base

STARTED, SEAT_HELD, BOOKED, CHECKED_IN, REFUNDED = "started", "seat_held", "booked", "checked_in", "refunded"
COMPENSATING, FAILED = "compensating", "failed"
UNFINISHED = (STARTED, SEAT_HELD, COMPENSATING)


class Registration(Base):
    __tablename__ = "billing_registrations"
    __table_args__ = (Index("ix_billing_registrations_state_expires", "state", "expires_at"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    idempotency_key: Mapped[str] = mapped_column(String(200), unique=True)
    request_hash: Mapped[str] = mapped_column(String(64))
    channel: Mapped[str] = mapped_column(String(8))  # "http" | "ivr"
    card_number: Mapped[str] = mapped_column(String(32), index=True)
    patient_id: Mapped[str] = mapped_column(String(64))
    department_code: Mapped[str] = mapped_column(String(8))
    requested_slot_id: Mapped[str] = mapped_column(String(64), default="")  # CRM ids: billing_0003
    requested_day: Mapped[str] = mapped_column(String(10), default="")
    requested_start: Mapped[str] = mapped_column(String(5), default="")
    expert_number: Mapped[int] = mapped_column(Integer, default=0)
    call_uuid: Mapped[str] = mapped_column(String(64), default="")
    fee_fen: Mapped[int] = mapped_column(BigInteger)

    state: Mapped[str] = mapped_column(String(16))
    version: Mapped[int] = mapped_column(Integer, default=0)
    lease_until: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    failure_status: Mapped[int] = mapped_column(Integer, default=0)
    failure_reason: Mapped[str] = mapped_column(Text, default="")

    # The seat, as the CRM answered the hold.
    appointment_id: Mapped[str] = mapped_column(String(64), default="")
    confirmation_code: Mapped[str] = mapped_column(String(8), default="")
    slot_id: Mapped[str] = mapped_column(String(64), default="")
    department_name: Mapped[str] = mapped_column(String(64), default="")
    expert_name: Mapped[str] = mapped_column(String(64), default="")
    patient_name: Mapped[str] = mapped_column(String(64), default="")
    starts_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    ends_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    local_day: Mapped[dt.date | None] = mapped_column(Date, index=True)  # the visit's day, hospital clock
    expires_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))  # end of local_day

    charge_transaction_id: Mapped[str] = mapped_column(String(36), default="")
    refund_transaction_id: Mapped[str] = mapped_column(String(36), default="")
    checked_in_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())

"""Billing tables (design §5: the billing service owns them; money is integer fen, BigInteger).

The ledger is ``billing_transactions`` + ``billing_postings``: every transaction's postings sum to zero and
a balance is the sum of an account's postings — there is no stored balance to drift. Postings,
transactions and the audit log are append-only: the migration installs triggers that make the database
itself refuse UPDATE and DELETE (and TRUNCATE on PostgreSQL). ``billing_idempotency`` keeps the answer
of every money-moving call under its idempotency key.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, DateTime, ForeignKey, Index, Integer, String, Text, func
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from careline.core.db import new_metadata

# SQLite only auto-increments an INTEGER PRIMARY KEY; PostgreSQL gets a bigint identity.
AutoId = BigInteger().with_variant(Integer(), "sqlite")

APPEND_ONLY_TABLES = ("billing_postings", "billing_transactions", "billing_audit")


class Base(DeclarativeBase):
    metadata = new_metadata()


class Account(Base):
    """A ledger account. ``kind`` "card" accounts may never go below zero; "system" accounts (cash,
    bank, revenue, adjustments) are the other side of every movement and may."""

    __tablename__ = "billing_accounts"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    code: Mapped[str] = mapped_column(String(100), unique=True)
    kind: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class Card(Base):
    """A prepaid visit card (R-ACC1) of a CRM patient, with its own card account."""

    __tablename__ = "billing_cards"

    card_number: Mapped[str] = mapped_column(String(32), primary_key=True)
    account_id: Mapped[str] = mapped_column(ForeignKey("billing_accounts.id"), unique=True)
    patient_id: Mapped[str] = mapped_column(String(64), index=True)
    vip_level: Mapped[int] = mapped_column(Integer, default=0)
    # "scrypt$n$r$p$salt_hex$hash_hex" — never the PIN itself.
    pin_hash: Mapped[str] = mapped_column(String(256))
    failed_pin_attempts: Mapped[int] = mapped_column(Integer, default=0)
    locked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class Transaction(Base):
    __tablename__ = "billing_transactions"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    kind: Mapped[str] = mapped_column(String(32))
    idempotency_key: Mapped[str] = mapped_column(String(200), unique=True)
    memo: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class Posting(Base):
    __tablename__ = "billing_postings"
    __table_args__ = (Index("ix_billing_postings_account", "account_id", "id"),)

    id: Mapped[int] = mapped_column(AutoId, primary_key=True, autoincrement=True)
    transaction_id: Mapped[str] = mapped_column(ForeignKey("billing_transactions.id"), index=True)
    account_id: Mapped[str] = mapped_column(ForeignKey("billing_accounts.id"))
    amount_fen: Mapped[int] = mapped_column(BigInteger)


class IdempotencyRecord(Base):
    """The answer given under an idempotency key, and a hash of what was asked (design §5)."""

    __tablename__ = "billing_idempotency"

    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    operation: Mapped[str] = mapped_column(String(50))
    request_hash: Mapped[str] = mapped_column(String(64))
    status_code: Mapped[int] = mapped_column(Integer)
    response: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class AuditEntry(Base):
    """Who did what to whose money or card (design §6: sensitive changes go to the audit log)."""

    __tablename__ = "billing_audit"

    id: Mapped[int] = mapped_column(AutoId, primary_key=True, autoincrement=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    actor: Mapped[str] = mapped_column(String(100))
    action: Mapped[str] = mapped_column(String(50))
    subject: Mapped[str] = mapped_column(String(100), index=True)
    detail: Mapped[str] = mapped_column(Text, default="")


class RatePlan(Base):
    """Price of a service for an expert category (``*`` = any); see careline.billing.rating."""

    __tablename__ = "billing_rate_plans"

    service: Mapped[str] = mapped_column(String(50), primary_key=True)
    category: Mapped[str] = mapped_column(String(50), primary_key=True)
    price_fen: Mapped[int] = mapped_column(BigInteger)
    rounding: Mapped[str] = mapped_column(String(32))


class BankImport(Base):
    """One imported bank statement and its report (R-ACC1 bank transfers)."""

    __tablename__ = "billing_bank_imports"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    filename: Mapped[str] = mapped_column(String(255))
    imported_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    lines: Mapped[int] = mapped_column(Integer)
    credited: Mapped[int] = mapped_column(Integer)
    duplicates: Mapped[int] = mapped_column(Integer)
    rejected: Mapped[int] = mapped_column(Integer)
    report: Mapped[str] = mapped_column(Text)


class ConferenceEvent(Base):
    """One member joining or leaving an expert conference (R-EXP6), as the switch reported it.

    Seats, join/leave times and the expert's presence intervals are all read from these rows
    (careline.billing.conference_store), so billing's view of a conference survives a restart and is
    shared by every replica. Every replica sees every ``conference::maintenance`` event on its own ESL
    link and writes it; the key (conference, member id, action, event time) makes the second write a
    duplicate. Append-only in practice: rows are never updated.
    """

    __tablename__ = "billing_conference_events"
    __table_args__ = (Index("ix_billing_conference_events_conference_at", "conference", "at_us"),)

    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    conference: Mapped[str] = mapped_column(String(100))
    call_uuid: Mapped[str] = mapped_column(String(64), index=True)
    member_id: Mapped[int] = mapped_column(Integer)
    role: Mapped[str] = mapped_column(String(16))  # expert | speaker | listener
    action: Mapped[str] = mapped_column(String(16))  # join | leave
    at_us: Mapped[int] = mapped_column(BigInteger)  # the switch's Event-Date-Timestamp (µs)
    sequence: Mapped[int] = mapped_column(BigInteger, default=0)  # the switch's Event-Sequence
    # "switch": a conference::maintenance event; "reconciled": found by listing the room after billing
    # was not connected (careline.billing.conference_reconcile) — a join at the listing moment, a
    # leave at the last moment billing knew the member was there.
    source: Mapped[str] = mapped_column(String(16), server_default="switch")
    recorded_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class ConferenceWatch(Base):
    """Per room, the last moment a connected billing process knew its open stays were still present
    (no del-member had come): the time a leave nobody saw is recorded at (R-EXP6). Bumped periodically
    and on a clean stop; only ever moved forward."""

    __tablename__ = "billing_conference_watch"

    conference: Mapped[str] = mapped_column(String(100), primary_key=True)
    observed_us: Mapped[int] = mapped_column(BigInteger)

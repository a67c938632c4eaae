"""The audit log's table (issue 9 §3, R-ADM2, design §6): append-only, every row chained to the one before.

Lives in each service's own database (migrated by ``careline.core.audit.migrate_audit``, version table
``alembic_version_audit``); services sharing one PostgreSQL database share one chain, ``service`` says
which wrote a row. Triggers refuse UPDATE, DELETE (and TRUNCATE on PostgreSQL): see the migration.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import BigInteger, DateTime, Index, Integer, String, Text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from careline.core.db import new_metadata

AUTO_ID = BigInteger().with_variant(Integer(), "sqlite")


class Base(DeclarativeBase):
    metadata = new_metadata()


class AuditRow(Base):
    __tablename__ = "audit_log"
    __table_args__ = (
        Index("ix_audit_log_actor", "actor", "id"),
        Index("ix_audit_log_target", "target", "id"),
        Index("ix_audit_log_at", "at"),
    )

    id: Mapped[int] = mapped_column(AUTO_ID, primary_key=True, autoincrement=True)
    at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    service: Mapped[str] = mapped_column(String(32))
    # Principal.actor, "<issuer>|<subject>"; or "system:<svc>" for work no person asked for
    actor: Mapped[str] = mapped_column(String(300))
    actor_roles: Mapped[str] = mapped_column(String(200))  # space-separated, as the token said at the time
    token_id: Mapped[str] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(100))  # "<svc>.<thing>.<verb>", e.g. billing.adjustment.create
    target: Mapped[str] = mapped_column(String(200))  # what it acted on, e.g. "patient:P123", "flow:main"
    outcome: Mapped[str] = mapped_column(String(16))  # ok | denied | failed
    source: Mapped[str] = mapped_column(String(64))  # where from: the client's address, "bus", "cli"
    detail: Mapped[str] = mapped_column(Text)  # canonical JSON; never a secret, PIN or token
    prev_hash: Mapped[str] = mapped_column(String(64), unique=True)  # one successor per row: no forks
    hash: Mapped[str] = mapped_column(String(64), unique=True)

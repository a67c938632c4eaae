"""ACD tables (design §5): agents (profile as JSON) and several queues (options as JSON).

Live state (who is ringing, who waits) is in memory for now; it moves to KV buckets when the ACD runs as
several replicas."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import DateTime, Float, Integer, String, Text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from careline.core.db import new_metadata


class Base(DeclarativeBase):
    metadata = new_metadata()


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class AgentRow(Base):
    __tablename__ = "acd_agents"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(128))
    extension: Mapped[str] = mapped_column(String(32), unique=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=_now)
    profile: Mapped[str] = mapped_column(Text, default="{}")  # JSON: skills, queues, expert


class QueueRow(Base):
    __tablename__ = "acd_queues"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    music_on_hold: Mapped[str] = mapped_column(String(256))
    no_answer_timeout_s: Mapped[int] = mapped_column(Integer)
    max_wait_s: Mapped[int] = mapped_column(Integer)
    options: Mapped[str] = mapped_column(Text, default="{}")  # JSON: the other QueueConfig fields


class CallEventRow(Base):
    """One statistics fact (R-STAT1): a queue's offered/answered/abandoned/overflowed call, or an agent's
    sampled workload (kind ``agent``: talk, hold, wrap, busy and idle seconds, handled and missed counts)."""

    __tablename__ = "acd_call_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    # The id the call log gave the event when the distributor recorded it (issue 15): the writer inserts
    # ON CONFLICT (event_id) DO NOTHING, so a replay stores nothing twice. NULL only in rows written before.
    event_id: Mapped[str | None] = mapped_column(String(36), nullable=True, unique=True, index=True)
    at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), index=True)
    kind: Mapped[str] = mapped_column(String(16))
    queue: Mapped[str] = mapped_column(String(64), default="")
    agent_id: Mapped[str] = mapped_column(String(64), default="")
    call_uuid: Mapped[str] = mapped_column(String(64), default="")
    wait_s: Mapped[float] = mapped_column(Float, default=0.0)
    talk_s: Mapped[float] = mapped_column(Float, default=0.0)
    hold_s: Mapped[float] = mapped_column(Float, default=0.0)
    wrap_s: Mapped[float] = mapped_column(Float, default=0.0)
    busy_s: Mapped[float] = mapped_column(Float, default=0.0)
    idle_s: Mapped[float] = mapped_column(Float, default=0.0)
    handled: Mapped[int] = mapped_column(Integer, default=0)
    missed: Mapped[int] = mapped_column(Integer, default=0)


class CallLogMetaRow(Base):
    """Facts about this database's call log; ``log_id``: a random id made once, naming the intake subject
    and durable writer of the events bound for this database (careline.subjects.ACD_INTAKE_EVENT)."""

    __tablename__ = "acd_call_log_meta"

    key: Mapped[str] = mapped_column(String(32), primary_key=True)
    value: Mapped[str] = mapped_column(String(64))

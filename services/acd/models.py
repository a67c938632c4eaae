"""ACD tables (design §5): agents (profile as JSON) and several queues (options as JSON).

Live state (who is ringing, who waits) is in memory for now; it moves to KV buckets when the ACD runs as
several replicas."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import DateTime, Integer, String, Text
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

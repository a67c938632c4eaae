"""A tiny example service's tables: how a careline service declares its own Base (design §5)."""

from __future__ import annotations

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from careline.core.db import new_metadata, processed_events_table


class Base(DeclarativeBase):
    metadata = new_metadata()


class Ticket(Base):
    __tablename__ = "ticket"

    id: Mapped[int] = mapped_column(primary_key=True)
    call_uuid: Mapped[str] = mapped_column(String(36), index=True)
    note: Mapped[str] = mapped_column(String(200), default="")


class TicketComment(Base):
    __tablename__ = "ticket_comment"

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("ticket.id"))
    text: Mapped[str] = mapped_column(String(200))


processed_events = processed_events_table(Base.metadata)

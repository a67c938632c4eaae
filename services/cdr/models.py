"""CDR tables (design §5: the CDR service owns them).

Times are Unix microseconds (BigInteger): exact, portable between SQLite and PostgreSQL, and the
order key of the keyset cursor. ``uuid`` (the leg) is the primary key, which is what makes a
repeated CHANNEL_HANGUP_COMPLETE harmless (R-CDR1).
"""

from __future__ import annotations

from sqlalchemy import BigInteger, Boolean, Index, Integer, String
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from careline.core.db import new_metadata


class Base(DeclarativeBase):
    metadata = new_metadata()


class CdrRow(Base):
    __tablename__ = "cdr_records"
    __table_args__ = (
        Index("ix_cdr_records_start", "start_us", "uuid"),
        Index("ix_cdr_records_call_id", "call_id"),
        Index("ix_cdr_records_caller", "caller_number"),
        Index("ix_cdr_records_destination", "destination_number"),
        Index("ix_cdr_records_queue", "queue"),
        Index("ix_cdr_records_agent", "agent"),
    )

    uuid: Mapped[str] = mapped_column(String(64), primary_key=True)
    call_id: Mapped[str] = mapped_column(String(64))
    other_leg_uuid: Mapped[str | None] = mapped_column(String(64))
    direction: Mapped[str] = mapped_column(String(16))
    caller_number: Mapped[str] = mapped_column(String(64))
    destination_number: Mapped[str] = mapped_column(String(64))
    queue: Mapped[str | None] = mapped_column(String(64))
    agent: Mapped[str | None] = mapped_column(String(64))
    start_us: Mapped[int] = mapped_column(BigInteger)
    answer_us: Mapped[int | None] = mapped_column(BigInteger)
    end_us: Mapped[int] = mapped_column(BigInteger)
    duration: Mapped[int] = mapped_column(Integer)
    billsec: Mapped[int] = mapped_column(Integer)
    waitsec: Mapped[int] = mapped_column(Integer)
    hangup_cause: Mapped[str] = mapped_column(String(64))
    recording_path: Mapped[str | None] = mapped_column(String(512))
    node: Mapped[str | None] = mapped_column(String(128))
    # False until the Cdr fact is on JetStream; a repeated hangup event re-publishes only then.
    published: Mapped[bool] = mapped_column(Boolean, default=False)

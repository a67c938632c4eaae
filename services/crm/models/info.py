"""Free information content (R-INFO1): each item numbered within its kind, editable and switchable.

Expert introductions live on the expert (:class:`careline.crm.models.directory.Expert`); the look-up
serves them as kind ``expert`` beside these.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Boolean, DateTime, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from careline.crm.models.base import Base, _now

KINDS = ("hospital", "new_drug", "drug", "common_sense", "health_tip")


class InfoItem(Base):
    __tablename__ = "crm_info_items"
    __table_args__ = (UniqueConstraint("kind", "number", name="uq_crm_info_kind_number"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    kind: Mapped[str] = mapped_column(String(16), index=True)
    number: Mapped[int] = mapped_column(Integer)  # drug number, tip number, ... (1 for the hospital)
    title: Mapped[str] = mapped_column(String(128))
    body: Mapped[str] = mapped_column(Text)
    sponsor: Mapped[str] = mapped_column(String(128), default="")  # new drugs may be sponsored
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=_now, onupdate=_now)

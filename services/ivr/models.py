"""IVR tables (design §5: the IVR owns its flows and prompts; R-IVR4, R-ADM4).

A flow has numbered, immutable versions; ``published_version`` is what new calls run. Every publish is
logged, which is what a roll-back walks back through. A dialled number belongs to one flow (``*`` is
the default). A prompt is one row per (name, language): TTS text, an uploaded WAV, or a media path.
Times are Unix microseconds, as in the CDR tables.
"""

from __future__ import annotations

from sqlalchemy import BigInteger, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from careline.core.db import new_metadata


class Base(DeclarativeBase):
    metadata = new_metadata()


class FlowRow(Base):
    __tablename__ = "ivr_flows"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    description: Mapped[str] = mapped_column(String(500), default="")
    published_version: Mapped[int | None] = mapped_column(Integer)
    created_us: Mapped[int] = mapped_column(BigInteger)


class FlowVersionRow(Base):
    __tablename__ = "ivr_flow_versions"
    __table_args__ = (UniqueConstraint("flow", "version"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    flow: Mapped[str] = mapped_column(ForeignKey("ivr_flows.name"))
    version: Mapped[int] = mapped_column(Integer)
    definition: Mapped[str] = mapped_column(Text)  # FlowDefinition as JSON
    comment: Mapped[str] = mapped_column(String(500), default="")
    created_us: Mapped[int] = mapped_column(BigInteger)


class PublicationRow(Base):
    __tablename__ = "ivr_publications"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    flow: Mapped[str] = mapped_column(ForeignKey("ivr_flows.name"))
    version: Mapped[int] = mapped_column(Integer)
    published_us: Mapped[int] = mapped_column(BigInteger)


class NumberRow(Base):
    __tablename__ = "ivr_numbers"

    number: Mapped[str] = mapped_column(String(64), primary_key=True)
    flow: Mapped[str] = mapped_column(ForeignKey("ivr_flows.name"))


class PromptRow(Base):
    __tablename__ = "ivr_prompts"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    language: Mapped[str] = mapped_column(String(8), primary_key=True)
    kind: Mapped[str] = mapped_column(String(8))  # "tts" | "wav" | "file"
    text: Mapped[str] = mapped_column(Text, default="")  # the TTS text
    path: Mapped[str] = mapped_column(String(1000), default="")  # the WAV or media path
    size: Mapped[int] = mapped_column(Integer, default=0)
    updated_us: Mapped[int] = mapped_column(BigInteger)

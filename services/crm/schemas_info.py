"""Request and response models of information content (R-INFO1)."""

from __future__ import annotations

import datetime as dt

from pydantic import BaseModel, ConfigDict, Field


class InfoIn(BaseModel):
    kind: str = Field(description="hospital | new_drug | drug | common_sense | health_tip")
    number: int = Field(ge=1, le=999999, description="drug number, tip number, ...; the hospital is 1")
    title: str = Field(min_length=1, max_length=128)
    body: str = Field(min_length=1, max_length=8000, description="what the IVR speaks and agents read")
    sponsor: str = Field(default="", max_length=128)
    enabled: bool = True


class InfoPatch(BaseModel):
    title: str | None = Field(default=None, min_length=1, max_length=128)
    body: str | None = Field(default=None, min_length=1, max_length=8000)
    sponsor: str | None = Field(default=None, max_length=128)
    enabled: bool | None = None


class InfoOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    kind: str
    number: int
    title: str
    body: str
    sponsor: str
    enabled: bool
    updated_at: dt.datetime


class InfoAnswerOut(BaseModel):
    """What a caller hears (the IVR asks the same over NATS)."""

    found: bool
    reason: str
    kind: str
    number: int
    title: str
    text: str
    sponsor: str
    numbers: list[int]

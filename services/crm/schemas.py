"""Request and response models of the CRM API (R-CRM1, R-CRM2)."""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

Owner = Literal["self", "family"]


class PhoneIn(BaseModel):
    number: str = Field(min_length=1, max_length=40, description="as entered; normalised by the CRM")
    label: str = Field(default="", max_length=32, description="e.g. mobile, home, daughter")
    owner: Owner = Field(default="self", description="the patient's own number, or a family member's")
    primary: bool = Field(default=False, description="answer look-ups of a shared number with this patient")


class PhoneOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    number: str
    raw: str
    label: str
    owner: Owner
    primary: bool


class PatientCreate(BaseModel):
    name: str = Field(min_length=1, max_length=64)
    id_number: str | None = Field(default=None, description="18-character resident ID")
    card_numbers: list[str] = Field(default_factory=list, max_length=20)
    phones: list[PhoneIn] = Field(default_factory=list, max_length=20)
    vip: bool = False
    vip_level: int = Field(default=0, ge=0, le=9)


class PatientUpdate(BaseModel):
    """PATCH: only the fields present change; a list given replaces the whole list."""

    name: str | None = Field(default=None, min_length=1, max_length=64)
    id_number: str | None = None
    card_numbers: list[str] | None = Field(default=None, max_length=20)
    phones: list[PhoneIn] | None = Field(default=None, max_length=20)
    vip: bool | None = None
    vip_level: int | None = Field(default=None, ge=0, le=9)


class PatientOut(BaseModel):
    id: str
    name: str
    id_number: str | None
    card_numbers: list[str]
    phones: list[PhoneOut]
    vip: bool
    vip_level: int
    language: str = Field("", description='IVR language the patient chose ("zh", "en"); "" not chosen yet')
    created_at: dt.datetime
    updated_at: dt.datetime


Language = Literal["zh", "en"]


class PatientLanguage(BaseModel):
    """The language the IVR greets the patient in (issue 8): Mandarin or English."""

    language: Language | Literal[""] = Field(description='"zh", "en", or "" (the IVR flow\'s language)')


class PatientPage(BaseModel):
    items: list[PatientOut]
    total: int
    limit: int
    offset: int


class LookupOut(BaseModel):
    """Caller-ID recognition (R-CRM2). ``note`` says how a shared number was resolved."""

    number: str
    found: bool
    patient_id: str | None = None
    name: str | None = None
    vip: bool = False
    vip_level: int = 0
    card_numbers: list[str] = Field(default_factory=list)
    language: str = ""
    matches: int = 0
    note: str = ""


class PatientSearch(BaseModel):
    """``POST /v1/patients/search``: the criteria, in the body so an ID number never sits in a URL (access
    logs, proxies, browser history; issue 9 §8). Every given criterion must match."""

    phone: str | None = Field(default=None, max_length=40)
    id_number: str | None = Field(default=None, max_length=18, description="18-character resident ID")
    card: str | None = Field(default=None, max_length=32)
    name: str | None = Field(default=None, max_length=64)
    limit: int = Field(default=50, ge=1, le=200)
    offset: int = Field(default=0, ge=0, le=2**63 - 1)  # SQLite's integer range

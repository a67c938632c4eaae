"""Request and response models of the IVR's flow and prompt API (R-IVR4, R-ADM4)."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

from careline.ivr.flowdef import FlowDefinition

FlowName = Annotated[str, Field(pattern=r"^[A-Za-z0-9_.-]{1,64}$")]
Number = Annotated[str, Field(pattern=r"^(\*|\+?[0-9]{1,32})$")]


class FlowCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: FlowName
    description: str = Field("", max_length=500)
    numbers: list[Number] = Field(default_factory=list, description="dialled numbers; * = every other")
    definition: FlowDefinition


class VersionCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    definition: FlowDefinition
    comment: str = Field("", max_length=500)


class VersionCreated(BaseModel):
    flow: str
    version: int


class Publish(BaseModel):
    model_config = ConfigDict(extra="forbid")
    version: int = Field(ge=1)


class Numbers(BaseModel):
    model_config = ConfigDict(extra="forbid")
    numbers: list[Number]


class VersionInfo(BaseModel):
    version: int
    comment: str
    created_us: int


class FlowInfo(BaseModel):
    name: str
    description: str
    published_version: int | None
    numbers: list[str]
    versions: list[VersionInfo]


class Validation(BaseModel):
    valid: bool
    problems: list[str]


class PromptText(BaseModel):
    model_config = ConfigDict(extra="forbid")
    text: str = Field(min_length=1, max_length=4000)


class PromptInfo(BaseModel):
    name: str
    language: str
    kind: str  # tts | wav | file
    text: str
    path: str
    size: int
    in_published_flow: bool

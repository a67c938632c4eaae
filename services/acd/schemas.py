"""Request and response bodies of the ACD's HTTP API (/v1)."""

from __future__ import annotations

from pydantic import BaseModel, Field

_ID = r"^[A-Za-z0-9_-]{1,64}$"


class AgentCreate(BaseModel):
    id: str = Field(pattern=_ID)
    name: str = Field(min_length=1, max_length=128)
    extension: str = Field(pattern=r"^[0-9A-Za-z_.-]{1,32}$")


class AgentUpdate(BaseModel):
    name: str | None = Field(default=None, min_length=1, max_length=128)
    extension: str | None = Field(default=None, pattern=r"^[0-9A-Za-z_.-]{1,32}$")


class AgentRead(BaseModel):
    id: str
    name: str
    extension: str
    state: str
    break_reason: str | None = None
    call_uuid: str | None = None
    handled: int = 0


class BreakRequest(BaseModel):
    reason: str = Field(min_length=1, max_length=64)


class QueueConfigBody(BaseModel):
    name: str = Field(pattern=_ID)
    music_on_hold: str = "local_stream://moh"
    no_answer_timeout_s: int = Field(default=15, ge=1, le=300)
    max_wait_s: int = Field(default=600, ge=1)


class WaitingCallRead(BaseModel):
    call_uuid: str
    caller_number: str
    position: int
    wait_s: float
    vip: bool
    offered_to: str | None
    over_max_wait: bool


class QueueSnapshot(BaseModel):
    config: QueueConfigBody
    waiting: list[WaitingCallRead]
    agents: list[AgentRead]


class StatsRead(BaseModel):
    offered: int
    answered: int
    abandoned: int
    waiting: int
    mean_wait_s: float
    max_wait_s: float
    handled_by_agent: dict[str, int]

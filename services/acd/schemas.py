"""Request and response bodies of the ACD's HTTP API (/v1)."""

from __future__ import annotations

from pydantic import BaseModel, Field

from careline.acd.domain.queue import Strategy

_ID = r"^[A-Za-z0-9_-]{1,64}$"


class AgentProfile(BaseModel):
    """Routing profile (R-ACD1, R-ACD7): skills with levels 1-10, queues served (none: every ordinary
    queue), expert seat."""

    skills: dict[str, int] | None = None
    queues: list[str] | None = None
    expert: bool | None = None


class AgentCreate(AgentProfile):
    id: str = Field(pattern=_ID)
    name: str = Field(min_length=1, max_length=128)
    extension: str = Field(pattern=r"^[0-9A-Za-z_.-]{1,32}$")


class AgentUpdate(AgentProfile):
    name: str | None = Field(default=None, min_length=1, max_length=128)
    extension: str | None = Field(default=None, pattern=r"^[0-9A-Za-z_.-]{1,32}$")


class WorkloadRead(BaseModel):
    calls: int
    talk_s: float
    hold_s: float
    wrap_s: float
    missed: int


class AgentRead(BaseModel):
    id: str
    name: str
    extension: str
    state: str
    break_reason: str | None = None
    call_uuid: str | None = None
    handled: int = 0
    skills: dict[str, int] = {}
    queues: list[str] = []
    expert: bool = False
    on_hold: bool = False
    wrap_up_left_s: float | None = None
    workload: WorkloadRead | None = None


class BreakRequest(BaseModel):
    reason: str = Field(min_length=1, max_length=64)


class ExtendWrapUp(BaseModel):
    seconds: float = Field(gt=0, le=3600)


class QueueOptions(BaseModel):
    """A queue's behaviour (R-ACD1): strategy, music on hold, limits, wrap-up, announcements, overflow."""

    music_on_hold: str = "local_stream://moh"
    no_answer_timeout_s: int = Field(default=15, ge=1, le=300)
    max_wait_s: int = Field(default=600, ge=1)
    strategy: Strategy = Strategy.LONGEST_IDLE
    max_length: int = Field(default=0, ge=0)
    wrap_up_s: float = Field(default=0.0, ge=0)
    class_lead_s: float = Field(default=120.0, ge=0)
    widen_after_s: float = Field(default=30.0, ge=0)
    sticky_wait_s: float = Field(default=10.0, ge=0)
    announce_every_s: float = Field(default=0.0, ge=0)
    overflow: str = Field(default="", description='"" (stay), "goodbye", or another queue\'s name')
    overflow_when_no_agents: bool = False
    goodbye_prompt: str = "ivr/careline-goodbye.wav"
    expert: bool = False
    mean_handle_s: float = Field(default=180.0, gt=0)


class QueueConfigBody(QueueOptions):
    name: str = Field(pattern=_ID)


class WaitingCallRead(BaseModel):
    call_uuid: str
    caller_number: str
    position: int
    wait_s: float
    vip: bool
    priority: int
    offered_to: str | None
    over_max_wait: bool


class QueueSnapshot(BaseModel):
    config: QueueConfigBody
    waiting: list[WaitingCallRead]
    agents: list[AgentRead]


class QueueStatsRead(BaseModel):
    offered: int
    answered: int
    abandoned: int
    overflowed: int
    waiting: int
    mean_wait_s: float
    max_wait_s: float


class StatsRead(QueueStatsRead):
    handled_by_agent: dict[str, int]
    queues: dict[str, QueueStatsRead] = {}
    workload: dict[str, WorkloadRead] = {}


class TransferRequest(BaseModel):
    """Blind transfer (R-ACD3): exactly one of agent, queue, number."""

    agent: str | None = Field(default=None, pattern=_ID)
    queue: str | None = Field(default=None, pattern=_ID)
    number: str | None = Field(default=None, pattern=r"^[0-9*#+]{1,32}$")


class DialRequest(BaseModel):
    number: str = Field(pattern=r"^[0-9*#+]{1,32}$")
    call_data: dict[str, str] = {}


class OutboundRead(BaseModel):
    agent: AgentRead
    agent_leg: str
    number_leg: str

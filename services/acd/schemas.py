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
    # On a call the ACD did not make (rung directly by the dialplan, issue 8 part 5): offered no caller.
    busy_outside: bool = False
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
    overflow: str = Field(
        default="", description='"" (stay), "goodbye", "callback" (keeps the place), or another queue\'s name'
    )
    overflow_when_no_agents: bool = False
    goodbye_prompt: str = "ivr/careline-goodbye.wav"
    expert: bool = False
    mean_handle_s: float = Field(default=180.0, gt=0)
    service_level_s: float = Field(default=20.0, gt=0)
    alarm_queue_length: int = Field(default=0, ge=0, description="0: no alarm")
    alarm_wait_s: float = Field(default=0.0, ge=0, description="longest wait; 0: no alarm")
    alarm_service_level: float = Field(default=0.0, ge=0, le=1, description="alarm below; 0: none")
    alarm_agent_idle_s: float = Field(default=0.0, ge=0, description="0: no alarm")
    callback_key: str = Field(
        default="",
        pattern=r"^[0-9*#]?$",
        description='DTMF key that leaves the queue for a callback ("": off)',
    )
    callback_prompt: str = "ivr/careline-callback-ok.wav"


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


class SeatCounts(BaseModel):
    serving: int
    idle: int
    on_break: int
    closed: int


class QueueLive(BaseModel):
    name: str
    waiting: int
    longest_wait_s: float
    offered: int
    answered: int
    abandoned: int
    service_level: float | None


class HelpRead(BaseModel):
    id: int
    agent_id: str
    message: str
    call_uuid: str | None = None
    acknowledged_by: str | None = None


class AlarmRead(BaseModel):
    kind: str
    queue: str
    agent_id: str
    active: bool
    value: float
    threshold: float


class SupervisorSnapshot(BaseModel):
    seats: SeatCounts
    queues: list[QueueLive]
    agents: list[AgentRead]
    help_requests: list[HelpRead]
    alarms: list[AlarmRead]


class HelpRaise(BaseModel):
    message: str = Field(default="", max_length=500)


class HelpAck(BaseModel):
    supervisor: str = Field(pattern=_ID)


class ForceState(BaseModel):
    state: str = Field(pattern=r"^(available|on_break|logged_out)$")
    reason: str = Field(default="supervisor", min_length=1, max_length=64)


class EavesdropRequest(BaseModel):
    """Listen / whisper (to the agent) / barge (both hear) on an agent's call (R-REC2)."""

    agent: str = Field(pattern=_ID)
    extension: str = Field(pattern=r"^[0-9A-Za-z_.-]{1,32}$", description="the supervisor's phone")
    mode: str = Field(default="listen", pattern=r"^(listen|whisper|barge)$")


class EavesdropRead(BaseModel):
    leg_uuid: str
    target_uuid: str
    mode: str

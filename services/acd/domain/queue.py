"""Queues, their configuration and the waiting line (R-ACD1, R-VIP1; design §3).

Order (see :mod:`.priority`): urgent before VIP before normal, each class given a head start of
``class_lead_s`` so that a caller of a lower class who has waited that much longer goes first (ageing:
no one starves); within a class, first come first served. A caller being offered keeps their entry (and
so their place): if the agent does not answer, the next agent is offered the same caller first.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from enum import StrEnum

from careline.acd.domain.priority import call_rank, order_key
from careline.acd.domain.stats import QueueStats


class Strategy(StrEnum):
    LONGEST_IDLE = "longest_idle"
    ROUND_ROBIN = "round_robin"
    RING_ALL = "ring_all"
    FEWEST_CALLS = "fewest_calls"
    SKILLS = "skills"
    STICKY = "sticky"


GOODBYE = "goodbye"  # overflow target: play the goodbye prompt and hang up


@dataclass(frozen=True)
class QueueConfig:
    name: str
    music_on_hold: str = "local_stream://moh"
    no_answer_timeout_s: int = 15  # how long an agent's phone rings before the next agent is tried
    max_wait_s: int = 600  # beyond this the caller overflows (or, with no overflow, is flagged: R-IVR5)
    strategy: Strategy = Strategy.LONGEST_IDLE
    max_length: int = 0  # 0: unlimited; a full queue refuses new callers ("queue_full")
    wrap_up_s: float = 0.0
    class_lead_s: float = 120.0  # ageing: head start of each priority class over the one below
    widen_after_s: float = 30.0  # skills: every this many seconds the asked levels drop by one
    sticky_wait_s: float = 10.0  # sticky: how long a returning caller waits for their last agent
    announce_every_s: float = 0.0  # 0: no position / estimated wait announcements
    overflow: str = ""  # "": stay; "goodbye"; or another queue's name
    overflow_when_no_agents: bool = False  # overflow at once when no agent of the queue is logged in
    goodbye_prompt: str = "ivr/careline-goodbye.wav"
    expert: bool = False  # R-ACD7: only expert seats serve it
    mean_handle_s: float = 180.0  # the estimated wait's guess until calls have been handled
    # Supervisor alarms (R-ACD6, R-SUP1); 0 turns one off. Service level: answered within
    # service_level_s, over answered + abandoned.
    service_level_s: float = 20.0
    alarm_queue_length: int = 0
    alarm_wait_s: float = 0.0
    alarm_service_level: float = 0.0  # a fraction, 0..1: alarm below it
    alarm_agent_idle_s: float = 0.0  # an agent of the queue available this long without a call
    # Queued callback (domain/callbacks.py): the DTMF key that leaves the queue for a callback ("": off)
    # and the prompt that thanks the caller before the hang-up.
    callback_key: str = ""
    callback_prompt: str = "ivr/careline-callback-ok.wav"


def parse_skills(asked: list[str] | tuple[str, ...]) -> dict[str, int]:
    """``["cardiology:3", "mandarin"]`` → ``{"cardiology": 3, "mandarin": 1}``."""
    skills: dict[str, int] = {}
    for item in asked:
        name, _, level = item.partition(":")
        if name:
            skills[name] = int(level) if level.isdigit() else 1
    return skills


@dataclass
class WaitingCall:
    call_uuid: str
    caller_number: str
    enqueued_at: float
    vip: bool = False
    priority: int = 0  # 0 normal, 1 VIP, 2 urgent (the class; ``vip`` implies at least 1)
    call_data: dict[str, str] = field(default_factory=dict)
    skills: dict[str, int] = field(default_factory=dict)  # skill -> minimum level asked
    offers: dict[str, str] = field(default_factory=dict)  # agent id -> leg uuid while phones ring
    sticky_agent: str | None = None
    for_agent: str | None = None  # a blind transfer to this agent (R-ACD3); cleared if they miss it
    entered_at: float = 0.0  # when it entered its current queue (max wait, announcements)
    next_announce_at: float = 0.0
    seq: int = 0
    callback_number: str = ""  # a queued callback (domain/callbacks.py): no channel, call this back

    @property
    def offering(self) -> bool:
        return bool(self.offers)

    @property
    def offered_to(self) -> str | None:
        return next(iter(self.offers), None)

    @property
    def rank(self) -> int:
        return call_rank(self.priority, self.vip)

    def wait_s(self, now: float) -> float:
        return max(0.0, now - self.enqueued_at)

    def asked_levels(self, now: float, widen_after_s: float) -> dict[str, int]:
        """The skill levels asked now: each ``widen_after_s`` waited lowers them by one (0: any)."""
        steps = int(self.wait_s(now) // widen_after_s) if widen_after_s > 0 else 0
        return {skill: max(0, level - steps) for skill, level in self.skills.items()}


class CallQueue:
    def __init__(self, config: QueueConfig) -> None:
        self.config = config
        self.stats = QueueStats()
        self.last_offered: str | None = None  # round robin: the agent offered last
        self._calls: dict[str, WaitingCall] = {}
        self._seq = itertools.count()

    @property
    def name(self) -> str:
        return self.config.name

    def __len__(self) -> int:
        return len(self._calls)

    def __contains__(self, call_uuid: str) -> bool:
        return call_uuid in self._calls

    @property
    def full(self) -> bool:
        return self.config.max_length > 0 and len(self) >= self.config.max_length

    def add(self, call: WaitingCall) -> WaitingCall:
        """Queue a caller; a repeated request for the same call is the same caller (idempotent)."""
        if call.call_uuid in self._calls:
            return self._calls[call.call_uuid]
        call.seq = next(self._seq)
        self._calls[call.call_uuid] = call
        return call

    def get(self, call_uuid: str) -> WaitingCall | None:
        return self._calls.get(call_uuid)

    def remove(self, call_uuid: str) -> WaitingCall | None:
        return self._calls.pop(call_uuid, None)

    def key(self, call: WaitingCall) -> tuple:
        return order_key(call.enqueued_at, call.rank, self.config.class_lead_s, call.seq)

    def ordered(self) -> list[WaitingCall]:
        return sorted(self._calls.values(), key=self.key)

    def position(self, call_uuid: str) -> int:
        """1-based place in line; 0 when not queued."""
        for place, call in enumerate(self.ordered(), start=1):
            if call.call_uuid == call_uuid:
                return place
        return 0

    def next_unoffered(self) -> list[WaitingCall]:
        return [c for c in self.ordered() if not c.offering]

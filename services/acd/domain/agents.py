"""The agent state machine (R-ACD6, R-ACD7).

States: logged_out → available ⇄ on_break; available → ringing → on_call → wrap_up → available.

- a ring that is not answered counts a miss; after ``max_missed`` misses in a row the agent goes on break
  ``no-answer`` (auto-break), before that the agent stays available but is not offered a call again for
  the reject delay (``not_before``);
- a ring the ACD cancels (caller left, another phone won a ring-all) returns the agent to available
  without losing their place among the idle;
- after a call the agent wraps up for the queue's wrap-up time (0: available at once); the agent may
  extend it, or end it early by becoming available.

``idle_since`` orders available agents: the one idle longest gets the next call. Times are plain floats
from the caller's clock (monotonic seconds) so tests drive them directly.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from careline.acd.domain.errors import BadAgentTransition
from careline.acd.domain.workload import Workload

NO_ANSWER = "no-answer"


class AgentState(StrEnum):
    LOGGED_OUT = "logged_out"
    AVAILABLE = "available"
    ON_BREAK = "on_break"
    RINGING = "ringing"
    ON_CALL = "on_call"
    WRAP_UP = "wrap_up"


@dataclass
class Agent:
    id: str
    name: str
    extension: str
    state: AgentState = AgentState.LOGGED_OUT
    break_reason: str | None = None
    idle_since: float = 0.0
    call_uuid: str | None = None  # the caller's uuid while ringing or on a call
    leg_uuid: str | None = None  # the agent's own leg
    skills: dict[str, int] = field(default_factory=dict)  # skill -> level (1..10)
    queues: frozenset[str] = frozenset()  # empty: every queue that is not an expert queue
    expert: bool = False  # R-ACD7: takes only the expert queue and VIP calls
    not_before: float = 0.0  # reject delay: not offered a call before this time
    wrap_until: float | None = None
    missed_in_row: int = 0
    on_hold: bool = False
    # Legs of calls the ACD did not make ringing or talking on this agent's phone (domain/outside.py).
    outside_legs: set[str] = field(default_factory=set)
    workload: Workload = field(default_factory=Workload)
    call_started: float = 0.0
    _hold_started: float = 0.0
    _wrap_started: float = 0.0

    @property
    def busy(self) -> bool:
        return self.state in (AgentState.RINGING, AgentState.ON_CALL)

    @property
    def handled(self) -> int:
        return self.workload.calls

    @property
    def missed(self) -> int:
        return self.workload.missed

    def can_take_call(self, now: float) -> bool:
        return self.state is AgentState.AVAILABLE and self.not_before <= now and not self.outside_legs

    def _require(self, action: str, *allowed: AgentState) -> None:
        if self.state not in allowed:
            raise BadAgentTransition(self.id, self.state.value, action)

    # --- the agent's own actions (HTTP) -------------------------------------------------------
    def log_in(self, now: float) -> None:
        """Logging in makes the agent available at once (an agent who wants a pause takes a break)."""
        if self.state is not AgentState.LOGGED_OUT:
            return  # idempotent: already logged in
        self._become_available(now)

    def make_available(self, now: float) -> None:
        if self.state is AgentState.AVAILABLE:
            return
        self._require("become available", AgentState.ON_BREAK, AgentState.LOGGED_OUT, AgentState.WRAP_UP)
        self._become_available(now)

    def take_break(self, reason: str, now: float = 0.0) -> None:
        if self.state is AgentState.ON_BREAK:
            self.break_reason = reason
            return
        self._require("take a break", AgentState.AVAILABLE, AgentState.WRAP_UP)
        self._leave_wrap_up(now)
        self.state, self.break_reason = AgentState.ON_BREAK, reason

    def log_out(self, now: float = 0.0) -> None:
        if self.busy:
            raise BadAgentTransition(self.id, self.state.value, "log out")
        self._leave_wrap_up(now)
        self.state, self.break_reason = AgentState.LOGGED_OUT, None

    def extend_wrap_up(self, seconds: float) -> None:
        self._require("extend wrap-up", AgentState.WRAP_UP)
        self.wrap_until = (self.wrap_until or 0.0) + seconds

    def hold(self, now: float) -> None:
        self._require("hold", AgentState.ON_CALL)
        if not self.on_hold:
            self.on_hold, self._hold_started = True, now

    def unhold(self, now: float) -> None:
        self._require("unhold", AgentState.ON_CALL)
        self._end_hold(now)

    # --- what the distributor does to the agent ---------------------------------------------
    def offer(self, call_uuid: str, leg_uuid: str) -> None:
        self._require("be offered a call", AgentState.AVAILABLE)
        self.state, self.call_uuid, self.leg_uuid = AgentState.RINGING, call_uuid, leg_uuid

    def answered(self, now: float = 0.0) -> None:
        self._require("answer", AgentState.RINGING)
        self.state, self.missed_in_row, self.call_started = AgentState.ON_CALL, 0, now

    def not_answered(self, now: float = 0.0, *, max_missed: int = 1, reject_delay_s: float = 0.0) -> None:
        """The phone rang out, was busy, rejected or not registered (R-ACD6)."""
        self._require("miss a call", AgentState.RINGING)
        self.workload.missed += 1
        self.missed_in_row += 1
        self._clear_call()
        if self.missed_in_row >= max_missed:
            self.state, self.break_reason = AgentState.ON_BREAK, NO_ANSWER
        else:
            self.state, self.not_before = AgentState.AVAILABLE, now + reject_delay_s

    def ring_cancelled(self) -> None:
        """The caller left (or another phone answered first): available again, idle since before."""
        self._require("stop ringing", AgentState.RINGING)
        self._clear_call()
        self.state = AgentState.AVAILABLE

    def call_ended(self, now: float, wrap_up_s: float = 0.0, day: str = "") -> None:
        self._require("end a call", AgentState.ON_CALL)
        self._end_hold(now)
        self.workload.handled(now - self.call_started, day)
        self._clear_call()
        if wrap_up_s > 0:
            self.state, self.wrap_until, self._wrap_started = AgentState.WRAP_UP, now + wrap_up_s, now
        else:
            self._become_available(now)

    def wrap_up_due(self, now: float) -> bool:
        return self.state is AgentState.WRAP_UP and self.wrap_until is not None and now >= self.wrap_until

    def _become_available(self, now: float) -> None:
        self._leave_wrap_up(now)
        self.state, self.break_reason, self.idle_since = AgentState.AVAILABLE, None, now
        self.missed_in_row, self.not_before = 0, 0.0

    def _leave_wrap_up(self, now: float) -> None:
        if self.state is AgentState.WRAP_UP:
            self.workload.wrap_s += max(0.0, now - self._wrap_started)
            self.wrap_until = None

    def _end_hold(self, now: float) -> None:
        if self.on_hold:
            self.workload.hold_s += max(0.0, now - self._hold_started)
            self.on_hold = False

    def _clear_call(self) -> None:
        self.call_uuid = self.leg_uuid = None
        self.on_hold = False

"""The agent state machine (R-ACD6).

States: logged_out → available ⇄ on_break; available → ringing → on_call → available.
A ring that is not answered puts the agent on break with reason ``no-answer`` so the ACD stops
offering calls to a phone nobody picks up; a ring the ACD cancels (caller left) returns the agent to
available without losing their place among the idle.

``idle_since`` orders available agents: the one idle longest gets the next call. Times are plain floats
from the caller's clock (monotonic seconds) so tests drive them directly.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from careline.acd.domain.errors import BadAgentTransition

NO_ANSWER = "no-answer"


class AgentState(StrEnum):
    LOGGED_OUT = "logged_out"
    AVAILABLE = "available"
    ON_BREAK = "on_break"
    RINGING = "ringing"
    ON_CALL = "on_call"


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
    handled: int = 0
    missed: int = field(default=0)

    @property
    def busy(self) -> bool:
        return self.state in (AgentState.RINGING, AgentState.ON_CALL)

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
        self._require("become available", AgentState.ON_BREAK, AgentState.LOGGED_OUT)
        self._become_available(now)

    def take_break(self, reason: str) -> None:
        if self.state is AgentState.ON_BREAK:
            self.break_reason = reason
            return
        self._require("take a break", AgentState.AVAILABLE)
        self.state, self.break_reason = AgentState.ON_BREAK, reason

    def log_out(self) -> None:
        if self.busy:
            raise BadAgentTransition(self.id, self.state.value, "log out")
        self.state, self.break_reason = AgentState.LOGGED_OUT, None

    # --- what the distributor does to the agent ---------------------------------------------
    def offer(self, call_uuid: str, leg_uuid: str) -> None:
        self._require("be offered a call", AgentState.AVAILABLE)
        self.state, self.call_uuid, self.leg_uuid = AgentState.RINGING, call_uuid, leg_uuid

    def answered(self) -> None:
        self._require("answer", AgentState.RINGING)
        self.state = AgentState.ON_CALL

    def not_answered(self) -> None:
        """The phone rang out, was busy, rejected or not registered (R-ACD6: on break, no-answer)."""
        self._require("miss a call", AgentState.RINGING)
        self.missed += 1
        self._clear_call()
        self.state, self.break_reason = AgentState.ON_BREAK, NO_ANSWER

    def ring_cancelled(self) -> None:
        """The caller left while this agent rang: available again, still counted idle since before."""
        self._require("stop ringing", AgentState.RINGING)
        self._clear_call()
        self.state = AgentState.AVAILABLE

    def call_ended(self, now: float) -> None:
        self._require("end a call", AgentState.ON_CALL)
        self.handled += 1
        self._clear_call()
        self._become_available(now)

    def _become_available(self, now: float) -> None:
        self.state, self.break_reason, self.idle_since = AgentState.AVAILABLE, None, now

    def _clear_call(self) -> None:
        self.call_uuid = self.leg_uuid = None

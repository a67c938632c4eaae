"""Who may take a caller, and which of them gets the offer (R-ACD1, R-ACD7).

Eligibility: an agent serves a queue when listed in it (an agent with no queues serves every ordinary
queue); expert seats serve only expert queues, plus VIP and urgent callers of any queue (R-ACD7).
Skills-based queues also ask the caller's skills at the (widening) levels; a sticky caller waits, for
``sticky_wait_s``, for the agent who served them last, when that agent is busy (ringing, on a call,
wrapping up); an agent on a break or logged out is not waited for.

Choice, per queue strategy, among the eligible agents who can take a call now:
longest idle; round robin (the next after the one offered last, by id); ring all (every one of them);
fewest calls today (then longest idle); skills (best total level of the asked skills, then longest idle);
sticky (the last agent, else longest idle).
"""

from __future__ import annotations

from collections.abc import Iterable

from careline.acd.domain.agents import Agent, AgentState
from careline.acd.domain.priority import VIP
from careline.acd.domain.queue import CallQueue, Strategy, WaitingCall


def serves(agent: Agent, queue: CallQueue, call: WaitingCall) -> bool:
    cfg = queue.config
    if agent.expert:
        listed = not agent.queues or cfg.name in agent.queues
        return (cfg.expert and listed) or call.rank >= VIP
    if cfg.expert:
        return False
    return not agent.queues or cfg.name in agent.queues


def has_skills(agent: Agent, call: WaitingCall, queue: CallQueue, now: float) -> bool:
    asked = call.asked_levels(now, queue.config.widen_after_s)
    return all(agent.skills.get(skill, 0) >= level for skill, level in asked.items() if level > 0)


_SOON_FREE = frozenset({AgentState.RINGING, AgentState.ON_CALL, AgentState.WRAP_UP})


def waiting_for_sticky(call: WaitingCall, queue: CallQueue, agents: dict[str, Agent], now: float) -> bool:
    """True while a returning caller should wait for their last agent rather than take another."""
    if queue.config.strategy is not Strategy.STICKY or call.sticky_agent is None:
        return False
    last = agents.get(call.sticky_agent)
    # Only an agent who will soon be free is worth waiting for ("available within a short wait"): one on
    # a break or logged out may be gone for an hour, so the caller takes the next agent at once.
    if last is None or last.state not in _SOON_FREE:
        return False
    return now - call.entered_at < queue.config.sticky_wait_s


def eligible(
    call: WaitingCall, queue: CallQueue, free: Iterable[Agent], agents: dict[str, Agent], now: float
) -> list[Agent]:
    if call.for_agent is not None:  # transferred to one agent: only they, whatever the queue
        return [a for a in free if a.id == call.for_agent]
    found = [a for a in free if serves(a, queue, call)]
    if queue.config.strategy is Strategy.SKILLS:
        found = [a for a in found if has_skills(a, call, queue, now)]
    if waiting_for_sticky(call, queue, agents, now):
        found = [a for a in found if a.id == call.sticky_agent]
    return found


def _idle(agent: Agent) -> tuple:
    return (agent.idle_since, agent.id)


def choose(call: WaitingCall, queue: CallQueue, candidates: list[Agent], now: float, day: str) -> list[Agent]:
    """The agents to ring for this caller (several only for ring-all); empty when none."""
    if not candidates:
        return []
    strategy = queue.config.strategy
    if strategy is Strategy.RING_ALL:
        return sorted(candidates, key=_idle)
    if strategy is Strategy.ROUND_ROBIN:
        return [_next_round_robin(candidates, queue.last_offered)]
    if strategy is Strategy.FEWEST_CALLS:
        return [min(candidates, key=lambda a: (_calls_today(a, day), *_idle(a)))]
    if strategy is Strategy.SKILLS:
        return [min(candidates, key=lambda a: (-_skill_score(a, call), *_idle(a)))]
    if strategy is Strategy.STICKY:
        sticky = [a for a in candidates if a.id == call.sticky_agent]
        if sticky:
            return sticky
    return [min(candidates, key=_idle)]


def _next_round_robin(candidates: list[Agent], last: str | None) -> Agent:
    ordered = sorted(candidates, key=lambda a: a.id)
    if last is None:
        return ordered[0]
    return next((a for a in ordered if a.id > last), ordered[0])


def _calls_today(agent: Agent, day: str) -> int:
    return agent.workload.calls_today if agent.workload.day == day else 0


def _skill_score(agent: Agent, call: WaitingCall) -> int:
    return sum(agent.skills.get(skill, 0) for skill in call.skills)

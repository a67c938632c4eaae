"""The agent state machine (R-ACD6)."""

import pytest

from careline.acd.domain.agents import NO_ANSWER, Agent, AgentState
from careline.acd.domain.errors import BadAgentTransition


def test_log_in_makes_available_and_sets_idle_time():
    agent = Agent("a1", "Ann", "1001")
    agent.log_in(now=5.0)
    assert agent.state is AgentState.AVAILABLE and agent.idle_since == 5.0


def test_break_and_back():
    agent = Agent("a1", "Ann", "1001")
    agent.log_in(1.0)
    agent.take_break("lunch")
    assert (agent.state, agent.break_reason) == (AgentState.ON_BREAK, "lunch")
    agent.make_available(2.0)
    assert agent.state is AgentState.AVAILABLE and agent.break_reason is None


def test_no_answer_puts_agent_on_break():
    agent = Agent("a1", "Ann", "1001")
    agent.log_in(1.0)
    agent.offer("call", "leg")
    agent.not_answered()
    assert (agent.state, agent.break_reason, agent.missed) == (AgentState.ON_BREAK, NO_ANSWER, 1)
    assert agent.call_uuid is None


def test_cancelled_ring_keeps_idle_place():
    agent = Agent("a1", "Ann", "1001")
    agent.log_in(1.0)
    agent.offer("call", "leg")
    agent.ring_cancelled()
    assert agent.state is AgentState.AVAILABLE and agent.idle_since == 1.0


def test_call_end_counts_handled_and_resets_idle():
    agent = Agent("a1", "Ann", "1001")
    agent.log_in(1.0)
    agent.offer("call", "leg")
    agent.answered()
    agent.call_ended(9.0)
    assert (agent.state, agent.handled, agent.idle_since) == (AgentState.AVAILABLE, 1, 9.0)


@pytest.mark.parametrize("action", ["log_out", "take_break"])
def test_busy_agent_cannot_leave(action):
    agent = Agent("a1", "Ann", "1001")
    agent.log_in(1.0)
    agent.offer("call", "leg")
    with pytest.raises(BadAgentTransition):
        getattr(agent, action)(*(["x"] if action == "take_break" else []))


def test_logged_out_agent_cannot_be_offered():
    with pytest.raises(BadAgentTransition):
        Agent("a1", "Ann", "1001").offer("c", "l")

"""The agents API says when an agent is busy on a call the ACD did not make (issue 8 part 5, R-ACD6):
``busy_outside`` in AgentRead, as the supervisor stream already shows it, and in the OpenAPI schema."""

from careline.acd.api import agent_read
from careline.acd.domain.agents import Agent, AgentState
from careline.acd.schemas import AgentRead


def test_agent_read_says_busy_outside_while_an_outside_leg_lives():
    agent = Agent("a1", "Ann", "2001", state=AgentState.AVAILABLE)
    assert agent_read(agent, 0.0).busy_outside is False
    agent.outside_legs.add("leg-1")
    assert agent_read(agent, 0.0).busy_outside is True
    agent.outside_legs.discard("leg-1")
    assert agent_read(agent, 0.0).busy_outside is False


def test_busy_outside_is_in_the_agent_schema():
    properties = AgentRead.model_json_schema()["properties"]
    assert properties["busy_outside"]["type"] == "boolean"

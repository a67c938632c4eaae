"""Domain refusals, mapped to HTTP 4xx by careline.core.web."""

from careline.core.web import Conflict, NotFound


class AgentNotFound(NotFound):
    def __init__(self, agent_id: str) -> None:
        super().__init__(f"agent {agent_id!r} not found")


class QueueNotConfigured(NotFound):
    def __init__(self, name: str | None = None) -> None:
        super().__init__(f"queue {name!r} not found" if name else "no queue configured")


class BadAgentTransition(Conflict):
    def __init__(self, agent_id: str, state: str, action: str) -> None:
        super().__init__(f"agent {agent_id!r} is {state}: cannot {action}")

"""The shared records (design §4): JSON, so an operator can read them with ``nats kv get``.

``agent_state``   key agent id → :class:`AgentRecord` (state, the instance that holds the agent's call,
                  the call and the agent's leg while ringing or talking, the break reason, since);
``queue_members`` key call uuid → :class:`MemberRecord` (the queue, waiting or bridged, the owning
                  instance, what is needed to queue the caller again elsewhere: class, data, skills, the
                  wall-clock time of entry so the wait survives a take-over).
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field, fields

# States in which an agent belongs to one instance's call; nobody else may offer them a call.
HELD = frozenset({"ringing", "on_call", "wrap_up"})
AVAILABLE = "available"
WAITING, BRIDGED = "waiting", "bridged"


def _decode(cls, raw: bytes | None):
    data = json.loads(raw or b"{}")
    names = {f.name for f in fields(cls)}
    return cls(**{k: v for k, v in data.items() if k in names})


@dataclass(frozen=True)
class AgentRecord:
    state: str
    instance: str = ""
    call: str = ""
    leg: str = ""
    reason: str = ""
    since: float = 0.0

    def encode(self) -> bytes:
        return json.dumps(asdict(self)).encode()

    @classmethod
    def decode(cls, raw: bytes | None) -> AgentRecord:
        return _decode(cls, raw)

    def held_by_other(self, me: str) -> bool:
        return self.state in HELD and self.instance != me


@dataclass(frozen=True)
class MemberRecord:
    queue: str
    owner: str
    state: str = WAITING
    caller_number: str = ""
    vip: bool = False
    priority: int = 0
    call_data: dict[str, str] = field(default_factory=dict)
    skills: dict[str, int] = field(default_factory=dict)
    enqueued_at: float = 0.0  # wall clock (time.time()), comparable across instances
    agent: str = ""  # bridged: the agent and their leg
    leg: str = ""

    def encode(self) -> bytes:
        return json.dumps(asdict(self), sort_keys=True).encode()

    @classmethod
    def decode(cls, raw: bytes | None) -> MemberRecord:
        return _decode(cls, raw)

"""The distributor's two ports (design §1, §3): the switch (wired to ESL) and the offer notifier (NATS)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from careline.acd.domain.agents import Agent
    from careline.acd.domain.queue import QueueConfig, WaitingCall


@dataclass(frozen=True)
class OriginateOutcome:
    answered: bool
    cause: str = ""  # FreeSWITCH cause when not answered, e.g. NO_ANSWER, USER_BUSY


@dataclass(frozen=True)
class Offer:
    call: WaitingCall
    agent: Agent
    leg_uuid: str
    queue: QueueConfig


class SwitchPort(Protocol):
    async def hold(self, call_uuid: str, music: str) -> bool:
        """Play music on hold to the caller; False when the call no longer exists."""

    async def originate_agent(self, offer: Offer) -> OriginateOutcome: ...

    async def bridge(self, call_uuid: str, leg_uuid: str) -> bool: ...

    async def hang_up(self, uuid: str, cause: str) -> None:
        """Idempotent: hanging up a leg that is already gone is success."""

    async def exists(self, uuid: str) -> bool: ...

    async def announce(self, call_uuid: str, position: int, wait_s: float, music: str) -> None:
        """Tell a waiting caller their place and estimated wait, then music on hold again."""

    async def goodbye(self, call_uuid: str, prompt: str) -> None:
        """Play the goodbye prompt, then hang up (overflow with nowhere to go)."""


class OfferNotifier(Protocol):
    async def agent_offered(self, offer: Offer) -> None: ...

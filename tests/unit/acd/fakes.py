"""A scripted switch and notifier for the distributor's unit tests (no network)."""

from __future__ import annotations

import asyncio

from careline.acd.domain.routing import Offer, OriginateOutcome


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


class FakeSwitch:
    def __init__(self) -> None:
        self.live: set[str] = set()
        self.answers: dict[str, list[OriginateOutcome]] = {}  # extension -> outcomes in turn
        self.ring_gate: dict[str, asyncio.Event] = {}  # extension -> released when the phone "answers"
        self.originated: list[Offer] = []
        self.bridges: list[tuple[str, str]] = []
        self.killed: list[str] = []
        self.held: list[str] = []
        self.announced: list[tuple[str, int, float]] = []
        self.goodbyes: list[str] = []

    async def hold(self, call_uuid: str, music: str) -> bool:
        self.held.append(call_uuid)
        return call_uuid in self.live

    async def originate_agent(self, offer: Offer) -> OriginateOutcome:
        self.originated.append(offer)
        ext = offer.agent.extension
        if ext in self.ring_gate:
            await self.ring_gate[ext].wait()
        outcomes = self.answers.get(ext) or [OriginateOutcome(True)]
        outcome = outcomes.pop(0) if len(outcomes) > 1 else outcomes[0]
        if outcome.answered:
            self.live.add(offer.leg_uuid)
        return outcome

    async def bridge(self, call_uuid: str, leg_uuid: str) -> bool:
        if call_uuid in self.live and leg_uuid in self.live:
            self.bridges.append((call_uuid, leg_uuid))
            return True
        return False

    async def hang_up(self, uuid: str, cause: str) -> None:
        self.killed.append(uuid)
        self.live.discard(uuid)

    async def exists(self, uuid: str) -> bool:
        return uuid in self.live

    async def announce(self, call_uuid: str, position: int, wait_s: float, music: str) -> None:
        self.announced.append((call_uuid, position, wait_s))

    async def goodbye(self, call_uuid: str, prompt: str) -> None:
        self.goodbyes.append(call_uuid)


class FakeNotifier:
    def __init__(self) -> None:
        self.offers: list[Offer] = []

    async def agent_offered(self, offer: Offer) -> None:
        self.offers.append(offer)

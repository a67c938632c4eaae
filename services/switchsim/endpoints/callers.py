"""Scripted callers (waits, DTMF, hang-ups, waiting for events), a Poisson caller generator and the
record the simulator keeps of each call for tests and the demo (design §7)."""

from __future__ import annotations

import asyncio
import random
from dataclasses import dataclass, field


@dataclass
class Step:
    kind: str  # wait | dtmf | hangup | wait_event
    seconds: float = 0.0
    digits: str = ""
    event: str = ""
    timeout: float = 60.0


class CallerScript:
    """A caller's actions, in order.

    Build with the helpers: CallerScript([wait(1), press("123#"), hangup_after(5)]).
    """

    def __init__(self, steps: list[Step] | None = None, persona: str = "default"):
        self.steps = list(steps or [])
        self.persona = persona

    @staticmethod
    def wait(seconds: float) -> Step:
        return Step("wait", seconds=seconds)

    @staticmethod
    def press(digits: str, gap: float = 0.1) -> Step:
        return Step("dtmf", digits=digits, seconds=gap)

    @staticmethod
    def hangup_after(seconds: float = 0.0) -> Step:
        return Step("hangup", seconds=seconds)

    @staticmethod
    def wait_for(event: str, timeout: float = 60.0) -> Step:
        """event: 'answered' | 'bridged' | 'unbridged' | an Event-Name seen on the caller's channel."""
        return Step("wait_event", event=event, timeout=timeout)


async def run_script(sw, ch, script: CallerScript) -> None:
    for step in script.steps:
        if not ch.alive:
            return
        if step.kind == "wait":
            await ch.wait_passive(step.seconds)
        elif step.kind == "dtmf":
            for d in step.digits:
                if not ch.alive:
                    return
                ch.send_dtmf(d, source="RTP")
                await ch.wait_passive(step.seconds)
        elif step.kind == "hangup":
            await ch.wait_passive(step.seconds)
            ch.hangup("NORMAL_CLEARING")
            return
        elif step.kind == "wait_event":
            await sw.wait_call_event(ch.uuid, step.event, step.timeout)


class PoissonCallers:
    """Poisson arrivals: `rate` calls per simulated second for `duration` s, personas picked by weight."""

    def __init__(self, sw, rate: float, duration: float, destination: str,
                 personas: dict[str, tuple[float, CallerScript]] | None = None, seed: int = 0,
                 caller_prefix: str = "1380013"):  # fmt: skip
        self.sw, self.rate, self.duration, self.destination = sw, rate, duration, destination
        self.personas = personas or {"default": (1.0, CallerScript([CallerScript.hangup_after(30)]))}
        self.rng = random.Random(seed)
        self.prefix = caller_prefix
        self.placed: list[str] = []

    async def run(self) -> list[str]:
        t = 0.0
        names = list(self.personas)
        weights = [self.personas[n][0] for n in names]
        while True:
            gap = self.rng.expovariate(self.rate)
            t += gap
            if t > self.duration:
                return self.placed
            await self.sw.core.sleep(gap)
            persona = self.rng.choices(names, weights)[0]
            number = f"{self.prefix}{self.rng.randrange(10000):04d}"
            script = self.personas[persona][1]
            uuid = await self.sw.place_call(number, self.destination, CallerScript(script.steps, persona))
            self.placed.append(uuid)


@dataclass
class CallRecord:
    uuid: str
    caller: str
    destination: str
    persona: str = "default"
    started_at: float = 0.0
    answered_at: float | None = None
    bridged_to: str | None = None  # agent extension (or peer uuid when not a phone)
    bridged_uuid: str | None = None
    bridged_at: float | None = None
    ended_at: float | None = None
    hangup_cause: str | None = None
    events: list[str] = field(default_factory=list)
    done: asyncio.Event = field(default_factory=asyncio.Event)

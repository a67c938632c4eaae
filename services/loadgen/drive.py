"""Drive one load run on the stack: agents, Poisson callers, progress, and what each caller lived through.

Observation only, nothing of the services is changed: the switch's events are watched (menu played,
bridged, hung up), and the ACD's own originate and enqueue are timed in-process (the same process runs
the ACD: its routing latency and whether an agent was free when a caller arrived).
"""

from __future__ import annotations

import asyncio
import random
import time
from dataclasses import dataclass, field

from careline.demo.run import HOSPITAL_NUMBER, PROMPT_SECONDS, PROMPTS
from careline.demo.stack import Stack
from careline.loadgen.figures import CallerLog
from careline.loadgen.plan import LoadPlan
from careline.switchsim import PhoneBehaviour

QUEUE = "general"
MENU_LISTEN_S = 0.5  # a caller hears this much of the menu before pressing 0
# Nobody handles a call in less; it also keeps an agent from hanging up in the milliseconds between the
# ACD's uuid_bridge (+OK at once) and the bridge itself, which the ACD counts as answered while the caller
# is cut off (seen at time scales of 0.05 and below). Raises a 2 s mean by 0.5 %.
MIN_TALK_S = 0.2


@dataclass
class CallerWatch:
    log: CallerLog
    menu: asyncio.Event = field(default_factory=asyncio.Event)
    bridged: asyncio.Event = field(default_factory=asyncio.Event)
    ended: asyncio.Event = field(default_factory=asyncio.Event)


class Observer:
    """What the switch and the ACD show of each caller; installed on the running stack."""

    def __init__(self, stack: Stack) -> None:
        self.stack = stack
        self.watch: dict[str, CallerWatch] = {}
        self.first_originate_s: dict[str, float] = {}  # caller uuid -> ACD enqueued → originate sent
        self.free_on_arrival: dict[str, bool] = {}  # caller uuid -> an agent could take it at once
        self.peak_channels = 0
        self._install_switch()
        self._install_acd()

    def _install_switch(self) -> None:
        switch = self.stack.switch
        seen = switch.observe

        def observe(ev) -> None:
            seen(ev)
            watch = self.watch.get(ev.get("Unique-ID") or "")
            if ev.name == "CHANNEL_CREATE":
                self.peak_channels = max(self.peak_channels, len(switch.core.channels))
            if watch is None:
                return
            now = switch.core.now()
            if ev.name == "PLAYBACK_START":
                watch.menu.set()
            elif ev.name == "CHANNEL_BRIDGE" and watch.log.bridged_at is None:
                watch.log.bridged_at = now
                watch.bridged.set()
            elif ev.name == "CHANNEL_HANGUP" and watch.log.ended_at is None:
                watch.log.ended_at = now
                watch.ended.set()

        switch.observe = observe  # the core fires every event through its switch's observe

    def _install_acd(self) -> None:
        acd = self.stack.services["acd"].app.state.distributor
        port, enqueue = acd.switch, acd.enqueue
        originate = port.originate_agent

        async def timed_originate(offer):
            call = offer.call
            self.first_originate_s.setdefault(call.call_uuid, acd.clock() - call.enqueued_at)
            return await originate(offer)

        async def watched_enqueue(call, queue_name):
            now = acd.clock()
            free = any(a.can_take_call(now) for a in acd.agents.values())
            result = await enqueue(call, queue_name)
            if result.accepted:
                self.free_on_arrival.setdefault(call.call_uuid, free)
            return result

        port.originate_agent = timed_originate
        acd.enqueue = watched_enqueue


async def provision(stack: Stack, plan: LoadPlan) -> None:
    """One queue; N agents whose phones each hold a seeded list of exponential talk times."""
    expected = plan.rate * plan.duration / plan.agents
    per_phone = int(expected * 3) + 50  # enough for any plausible share of the calls
    async with stack.client("acd") as acd:
        queue = {"name": QUEUE, "no_answer_timeout_s": 15, "max_wait_s": 86400}
        (await acd.put("/v1/queue", json=queue)).raise_for_status()
        for i in range(plan.agents):
            ext = str(2001 + i)
            rng = random.Random(f"{plan.seed}-agent-{ext}")
            phone = stack.switch.add_phone(ext, PhoneBehaviour(plan.answer_after, plan.handle_time))
            for _ in range(per_phone):
                talk = max(MIN_TALK_S, rng.expovariate(1.0 / plan.handle_time))
                phone.queue_behaviour(PhoneBehaviour(answer_after=plan.answer_after, talk_time=talk))
            agent = {"id": f"agent{ext}", "name": f"Agent {ext}", "extension": ext}
            (await acd.post("/v1/agents", json=agent)).raise_for_status()
            (await acd.post(f"/v1/agents/agent{ext}/login")).raise_for_status()


async def _first(*events: asyncio.Event, timeout: float | None) -> None:
    waits = [asyncio.ensure_future(e.wait()) for e in events]
    try:
        await asyncio.wait(waits, timeout=timeout, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for w in waits:
            w.cancel()


async def caller(stack: Stack, obs: Observer, plan: LoadPlan, rng: random.Random) -> None:
    """Ring in, hear the menu, press 0, wait for an agent (or give up after the patience)."""
    switch = stack.switch
    uuid = await switch.place_call(f"139{rng.randrange(10**8):08d}", HOSPITAL_NUMBER)
    watch = obs.watch[uuid] = CallerWatch(CallerLog(uuid, switch.core.now()))
    patience = rng.expovariate(1.0 / plan.patience) if plan.patience else None
    scale = plan.time_scale
    await _first(watch.menu, watch.ended, timeout=60 * scale)
    if watch.ended.is_set() or not watch.menu.is_set():
        return
    await switch.core.sleep(MENU_LISTEN_S)
    switch.send_dtmf(uuid, "0")
    watch.log.queued_at = switch.core.now()
    if patience is not None:
        await _first(watch.bridged, watch.ended, timeout=patience * scale)
        if not watch.bridged.is_set() and not watch.ended.is_set():
            watch.log.gave_up = True
            switch.hangup(uuid)


async def ring_in(stack: Stack, obs: Observer, plan: LoadPlan, tasks: list[asyncio.Task]) -> None:
    """Poisson arrivals on the simulator's clock, for the plan's duration."""
    rng = random.Random(plan.seed)
    started = stack.switch.core.now()
    t = 0.0
    while True:
        t += rng.expovariate(plan.rate)
        if t > plan.duration:
            return
        await asyncio.sleep(max(0.0, (started + t - stack.switch.core.now()) * plan.time_scale))
        persona = random.Random(rng.random())
        tasks.append(asyncio.ensure_future(caller(stack, obs, plan, persona)))


async def settle(obs: Observer, quiet_limit_s: float) -> None:
    """Wait until every caller's call ended, or nothing ended for `quiet_limit_s` real seconds."""
    last, last_change = -1, time.monotonic()
    while True:
        ended = sum(w.ended.is_set() for w in obs.watch.values())
        if ended == len(obs.watch):
            return
        if ended != last:
            last, last_change = ended, time.monotonic()
        elif time.monotonic() - last_change > quiet_limit_s:
            return
        await asyncio.sleep(0.2)


async def progress(stack: Stack, obs: Observer, plan: LoadPlan, started: float, out) -> None:
    acd = stack.services["acd"].app.state.distributor
    while True:
        await asyncio.sleep(plan.progress_every)
        logs = [w.log for w in obs.watch.values()]
        waiting = sum(len(list(q.ordered())) for q in acd.queues.values())
        talking = sum(c.bridged_at is not None and c.ended_at is None for c in logs)
        answered = sum(c.bridged_at is not None for c in logs)
        ended = sum(c.ended_at is not None for c in logs)
        out(
            f"  t={time.monotonic() - started:6.1f}s  rang {len(logs):5d}  waiting {waiting:3d}  "
            f"talking {talking:3d}  answered {answered:5d}  abandoned {sum(c.gave_up for c in logs):4d}  "
            f"ended {ended:5d}"
        )


STACK_OPTIONS = {"extra_settings": {"ivr": PROMPTS}, "file_durations": dict(PROMPT_SECONDS)}

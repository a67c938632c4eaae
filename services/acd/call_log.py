"""Statistics facts to the database (R-STAT1): the distributor's call events and sampled agent workload.

The distributor must never wait on the database, so :meth:`CallLog.record` only appends to a buffer;
:meth:`flush` writes the buffer in one transaction (periodically, before a statistics query, and at
shutdown). :class:`WorkloadSampler` turns each agent's running workload into deltas (talk, hold, wrap,
handled, missed) and the time spent since the last sample into busy or idle time (resolution: the
sampling period).
"""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
import logging
from collections.abc import Callable

from sqlalchemy import select

from careline.acd.domain.agents import Agent, AgentState
from careline.acd.domain.call_events import AGENT, CallEvent
from careline.acd.models import CallEventRow

log = logging.getLogger("careline.acd.call_log")
BUSY = (AgentState.RINGING, AgentState.ON_CALL, AgentState.WRAP_UP)


class CallLog:
    def __init__(self, sessions) -> None:
        self.sessions = sessions
        self._buffer: list[CallEvent] = []
        self._lock = asyncio.Lock()

    def record(self, event: CallEvent) -> None:
        self._buffer.append(event)

    async def flush(self) -> None:
        async with self._lock:
            events, self._buffer = self._buffer, []
            if not events:
                return
            try:
                async with self.sessions() as session:
                    session.add_all(CallEventRow(**dataclasses.asdict(e)) for e in events)
                    await session.commit()
            except Exception:  # keep them for the next flush rather than lose them
                self._buffer[:0] = events
                raise

    async def between(self, start: dt.datetime, end: dt.datetime) -> list[CallEvent]:
        await self.flush()
        names = [f.name for f in dataclasses.fields(CallEvent)]
        async with self.sessions() as session:
            rows = await session.scalars(
                select(CallEventRow).where(CallEventRow.at >= start, CallEventRow.at < end)
            )
            return [CallEvent(**{n: getattr(r, n) for n in names}) for r in rows]


@dataclasses.dataclass
class _Seen:
    calls: int = 0
    missed: int = 0
    talk_s: float = 0.0
    hold_s: float = 0.0
    wrap_s: float = 0.0
    at: float | None = None


class WorkloadSampler:
    """``sample`` (every tick: cheap) adds up each agent's time and workload deltas in memory; ``emit``
    (every ``stats_sample_s``, and before a statistics query) turns them into one fact per agent."""

    def __init__(self, agents: Callable[[], dict[str, Agent]], clock: Callable[[], float], log: CallLog):
        self.agents, self.clock, self.log = agents, clock, log
        self._seen: dict[str, _Seen] = {}  # workloads start at zero when the service starts
        self._pending: dict[str, dict[str, float]] = {}

    def sample(self) -> None:
        now = self.clock()
        for agent in list(self.agents().values()):
            seen = self._seen.setdefault(agent.id, _Seen())
            work = agent.workload
            elapsed = max(0.0, now - seen.at) if seen.at is not None else 0.0
            deltas = {
                "handled": work.calls - seen.calls,
                "missed": work.missed - seen.missed,
                "talk_s": work.talk_s - seen.talk_s,
                "hold_s": work.hold_s - seen.hold_s,
                "wrap_s": work.wrap_s - seen.wrap_s,
                "busy_s": elapsed if agent.state in BUSY else 0.0,
                "idle_s": elapsed if agent.state is AgentState.AVAILABLE else 0.0,
            }
            self._seen[agent.id] = _Seen(work.calls, work.missed, work.talk_s, work.hold_s, work.wrap_s, now)
            pending = self._pending.setdefault(agent.id, dict.fromkeys(deltas, 0.0))
            for name, value in deltas.items():
                pending[name] += value

    def emit(self) -> None:
        pending, self._pending = self._pending, {}
        for agent_id, sums in pending.items():
            if any(sums.values()):
                counts = {"handled": int(sums.pop("handled")), "missed": int(sums.pop("missed"))}
                self.log.record(CallEvent(AGENT, agent_id=agent_id, **counts, **sums))

    async def run(self, sample_s: float, emit_s: float) -> None:
        next_emit = self.clock() + emit_s
        while True:
            await asyncio.sleep(sample_s)
            try:
                self.sample()
                if self.clock() >= next_emit:
                    next_emit = self.clock() + emit_s
                    self.emit()
                    await self.log.flush()
            except Exception:  # the next round retries
                log.exception("statistics sampling failed")

"""Statistics facts to the database (R-STAT1): the distributor's call events and sampled agent workload.

Loss-free since issue 15 (docs/adr/0002's pattern): :meth:`CallLog.record` never waits — it gives the
event an id (UUIDv7) and queues it for JetStream (:mod:`careline.acd.call_log.intake`), which stores it on
the work-queue stream ``ACD_INTAKE`` (with the events recorded in the same few ms, as one message whose
``Nats-Msg-Id`` is its first event's id); a durable consumer writes the events in batches and acks only
what it committed (:mod:`careline.acd.call_log.writer`), and the backlog is a metric and an alarm
(:mod:`careline.acd.call_log.backlog`). A stop, a locked or restarting database, NATS away for a while
delay events, never lose or double them; a crash loses only what was not yet on JetStream (the last
``call_log_publish_linger_s`` plus a round trip, or what NATS refused meanwhile). Statistics queries read
their own writes: :meth:`CallLog.between` first waits (``read_wait_s`` at most) until what this process
recorded is committed.

:class:`WorkloadSampler` turns each agent's running workload into deltas (talk, hold, wrap, handled,
missed) and the time spent since the last sample into busy or idle time (resolution: the sampling period).
"""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
import functools
import logging
from collections.abc import Awaitable, Callable
from contextlib import suppress

from sqlalchemy import select

from careline import subjects
from careline.acd.call_log.backlog import CallLogBacklog
from careline.acd.call_log.intake import EventOutbox, encode
from careline.acd.call_log.writer import CallEventWriter, call_log_id, committed_through, decode
from careline.acd.domain.agents import Agent, AgentState
from careline.acd.domain.call_events import AGENT, CallEvent
from careline.acd.models import CallEventRow

log = logging.getLogger("careline.acd.call_log")
BUSY = (AgentState.RINGING, AgentState.ON_CALL, AgentState.WRAP_UP)
INTAKE_STREAM = subjects.ACD_INTAKE
INTAKE_STREAMS = tuple(spec for spec in subjects.STREAMS if spec.name == INTAKE_STREAM)
Committed = Callable[[int], Awaitable[bool]]


class CallLog:
    def __init__(
        self, sessions, *, max_queued: int = 100_000, read_wait_s: float = 5.0, linger: float = 0.0
    ) -> None:
        self.sessions = sessions
        self.outbox = EventOutbox(max_queued=max_queued, linger=linger)
        self.read_wait_s = read_wait_s
        self._committed: Committed | None = None
        self.stale_reads = 0  # queries answered before this process's events were all committed

    def record(self, event: CallEvent) -> None:
        """The distributor's hook: queue the event for JetStream (never waits; see call_log.intake)."""
        self.outbox.put(*encode(event))

    def start(self, bus, subject: str, committed: Committed) -> None:
        """Publish recorded events (those recorded before start too) to ``subject``; ``committed(seq)``
        says whether the writer has committed everything up to stream sequence ``seq``."""
        self._committed = committed
        self.outbox.start(bus, subject)

    async def flush(self, within: float | None = None) -> bool:
        """Wait until every event recorded so far is committed (``read_wait_s`` at most); False if not."""
        within = self.read_wait_s if within is None else within
        try:
            await asyncio.wait_for(self.committed_through(self.outbox.accepted), within)
            return True
        except TimeoutError:
            self.stale_reads += 1
            log.warning("call events recorded here not all stored after %.1f s; reading what is", within)
            return False

    async def committed_through(self, count: int) -> None:
        """Wait until the first ``count`` events recorded here are committed (no bound: callers set it)."""
        seq = await self.outbox.stored_through(count)
        while True:
            try:
                if self._committed is not None and await self._committed(seq):
                    return
            except Exception as err:  # NATS away: wait for it, flush() bounds the wait
                log.debug("call log: consumer info unavailable (%s)", err)
            await asyncio.sleep(0.02)

    async def between(self, start: dt.datetime, end: dt.datetime) -> list[CallEvent]:
        await self.flush()
        names = [f.name for f in dataclasses.fields(CallEvent)]
        async with self.sessions() as session:
            rows = await session.scalars(
                select(CallEventRow).where(CallEventRow.at >= start, CallEventRow.at < end)
            )
            return [CallEvent(**{n: getattr(r, n) for n in names}) for r in rows]


@dataclasses.dataclass
class CallLogWriting:
    """The running writer side of a call log (``start_writing``); ``stop`` drains, then stops."""

    call_log: CallLog
    writer: CallEventWriter
    consumer: object
    backlog: CallLogBacklog
    watching: asyncio.Task

    async def stop(self, within: float) -> None:
        """Hand JetStream what was recorded and let the writer commit it, for up to ``within`` s in all;
        what is left stays on the stream for the next writer (redelivered, stored once)."""
        loop = asyncio.get_running_loop()
        end = loop.time() + within
        left = await self.call_log.outbox.stop(within)
        try:
            if left:
                raise TimeoutError
            count = self.call_log.outbox.accepted
            await asyncio.wait_for(self.call_log.committed_through(count), max(0.0, end - loop.time()))
        except TimeoutError:
            log.warning("call events not yet written at shutdown: they wait on JetStream for the next writer")
        self.watching.cancel()
        with suppress(asyncio.CancelledError):
            await self.watching
        await self.consumer.stop()


async def start_writing(
    call_log: CallLog, *, bus, engine, settings, metrics, supervision=None
) -> CallLogWriting:
    """Start the intake of ``call_log`` and the durable writer of this database's events (design §4)."""
    log_id = await call_log_id(engine)
    subject, durable = subjects.acd_intake_event(log_id), f"acd-call-log-{log_id}"
    await bus.ensure_streams(INTAKE_STREAMS)
    writer = CallEventWriter(engine)
    consumer = await bus.consume_batch(
        INTAKE_STREAM,
        durable,
        subject,
        writer.write,
        decode=decode,
        batch=settings.call_log_write_batch,
        linger=settings.call_log_write_linger_s,
        ack_wait=settings.call_log_write_ack_wait_s,
    )
    call_log.start(
        bus, subject, functools.partial(committed_through, bus.nc.jetstream(), INTAKE_STREAM, durable)
    )
    backlog = CallLogBacklog(
        bus=bus,
        consumer=consumer,
        outbox=call_log.outbox,
        writer=writer,
        metrics=metrics,
        alarm_lag_s=settings.call_log_backlog_alarm_lag_s,
        alarm_pending=settings.call_log_backlog_alarm_pending,
        supervision=supervision,
    )
    watching = asyncio.create_task(
        backlog.run(settings.call_log_backlog_check_s), name="acd-call-log-backlog"
    )
    return CallLogWriting(call_log, writer, consumer, backlog, watching)


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
                    self.emit()  # recorded: on its way to JetStream, no need to wait for it
            except Exception:  # the next round retries
                log.exception("statistics sampling failed")

"""Back-pressure made visible (issue 15): how many legs wait to be stored and for how long, as metrics
and as a supervisor alarm on the ACD's alarm subject (``careline.acd.alarm``, kind ``cdr_backlog``).

Every ``check_s`` the watch reads the intake durable's pending count from the server (undelivered plus
delivered-and-unacked) plus the legs still queued in this process for JetStream, and the writer's lag (how
long the oldest leg it holds has waited since JetStream stored it). The alarm is raised when the lag passes
``alarm_lag_s`` or the pending count passes ``alarm_pending``, and cleared once both are back under half of
their threshold (hysteresis: a backlog hovering at the threshold does not flap).

Metrics: ``careline_cdr_pending_records``, ``careline_cdr_ingest_lag_seconds``,
``careline_cdr_backlog_alarm_active``, ``careline_cdr_records_stored_total``,
``careline_cdr_records_duplicate_total``, ``careline_cdr_write_failures_total``.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from careline import subjects
from careline.core.backlog import Hysteresis, advance, every
from careline.core.bus import new_meta
from careline.v1.acd_pb2 import Alarm

log = logging.getLogger("careline.cdr.backlog")
ALARM_KIND = "cdr_backlog"


@dataclass
class BacklogState:
    pending: int
    lag_s: float


class BacklogWatch:
    def __init__(self, *, bus, consumer, intake, writer, metrics, alarm_lag_s: float, alarm_pending: int):
        self.bus, self.consumer, self.intake, self.writer = bus, consumer, intake, writer
        self.alarm_lag_s, self.alarm_pending = alarm_lag_s, alarm_pending
        self._alarm_state = Hysteresis(alarm_lag_s, alarm_pending)
        self.last: BacklogState | None = None
        self._pending = metrics.gauge("pending_records", "legs taken from the switch and not yet stored")
        self._lag = metrics.gauge("ingest_lag_seconds", "how long the oldest leg being stored has waited")
        self._active = metrics.gauge("backlog_alarm_active", "1 while the CDR backlog alarm is raised")
        self._counters = {
            "stored": metrics.counter("records_stored", "CDR rows inserted"),
            "duplicates": metrics.counter(
                "records_duplicate", "legs that arrived again and were already stored"
            ),
            "failures": metrics.counter("write_failures", "batch writes that failed and were retried"),
        }
        self._seen = dict.fromkeys(self._counters, 0)

    @property
    def alarm_active(self) -> bool:
        return self._alarm_state.active

    async def check(self) -> BacklogState:
        try:
            pending = await self.consumer.pending()
        except Exception as err:  # NATS away: the intake's own queue still says something
            log.warning("backlog: consumer info unavailable (%s)", err)
            pending = 0
        state = BacklogState(pending + self.intake.queued, self.consumer.lag_seconds())
        self.last = state
        self._pending.set(state.pending)
        self._lag.set(state.lag_s)
        self._count()
        await self._alarm(state)
        return state

    def _count(self) -> None:
        now = {
            "stored": self.writer.stored,
            "duplicates": self.writer.duplicates,
            "failures": self.consumer.failures,
        }
        self._seen = advance(self._counters, self._seen, now)

    async def _alarm(self, state: BacklogState) -> None:
        if not self._alarm_state.update(state.lag_s, state.pending):
            return
        if self.alarm_active:
            log.error("CDR backlog: %d legs pending, oldest waiting %.1f s", state.pending, state.lag_s)
        else:
            log.warning("CDR backlog cleared: %d legs pending", state.pending)
        self._active.set(1 if self.alarm_active else 0)
        message = Alarm(
            meta=new_meta("", producer="cdr"),
            kind=ALARM_KIND,
            active=self.alarm_active,
            value=state.lag_s,
            threshold=self.alarm_lag_s,
        )
        try:
            await self.bus.notify(subjects.ACD_ALARM, message)
        except Exception:  # the metric and the log still show it
            log.exception("CDR backlog alarm not published on NATS")

    async def run(self, every_s: float) -> None:
        await every(self.check, every_s, log, "backlog check")

"""Back-pressure of the ACD's call log made visible (issue 15, R-STAT1): how many call events wait to be
stored and for how long, as metrics and as a supervisor alarm (kind ``acd_events_backlog``), the way
careline.cdr.backlog shows ``cdr_backlog``.

Every ``check_s`` the watch reads the intake durable's pending count from the server (undelivered plus
delivered-and-unacked) plus the events still queued in this process for JetStream, and the lag: the longer
of how long the oldest event the writer holds has waited since JetStream stored it and how long the oldest
event queued here has waited for JetStream. The alarm is raised when the lag passes ``alarm_lag_s``, the
pending count passes ``alarm_pending`` or an event was dropped (the outbox's bound was hit), and cleared
once lag and count are back under half of their thresholds (no flapping at the threshold). It goes where
the ACD's other alarms go: ``careline.acd.alarm`` (the Alarm message, producer ``acd``), the supervisors'
live stream, and ``careline_acd_alarm_active{kind="acd_events_backlog"}`` / ``careline_acd_alarms_total``.

Own metrics: ``careline_acd_call_events_pending``, ``careline_acd_call_events_lag_seconds``,
``careline_acd_call_events_stored_total``, ``careline_acd_call_events_duplicate_total``,
``careline_acd_call_events_dropped_total``, ``careline_acd_call_events_write_failures_total``,
``careline_acd_call_events_publish_failures_total``.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from careline import subjects
from careline.core.backlog import Hysteresis, advance, every
from careline.core.bus import new_meta
from careline.v1.acd_pb2 import Alarm

log = logging.getLogger("careline.acd.call_log")
ALARM_KIND = "acd_events_backlog"


@dataclass
class BacklogState:
    pending: int
    lag_s: float
    dropped: int


class CallLogBacklog:
    def __init__(
        self, *, bus, consumer, outbox, writer, metrics, alarm_lag_s, alarm_pending, supervision=None
    ):
        self.bus, self.consumer, self.outbox, self.writer = bus, consumer, outbox, writer
        self.alarm_lag_s, self.alarm_pending = alarm_lag_s, alarm_pending
        self.supervision = supervision  # the ACD's alarm feed and metrics, when running in the app
        self._alarm_state = Hysteresis(alarm_lag_s, alarm_pending)
        self.last: BacklogState | None = None
        self._pending = metrics.gauge("call_events_pending", "call events recorded and not yet stored")
        self._lag = metrics.gauge("call_events_lag_seconds", "how long the oldest unstored call event waited")
        self._counters = {
            "stored": metrics.counter("call_events_stored", "call events inserted"),
            "duplicates": metrics.counter("call_events_duplicate", "call events that came again"),
            "dropped": metrics.counter("call_events_dropped", "call events lost: memory bound hit"),
            "failures": metrics.counter("call_events_write_failures", "batch writes failed and retried"),
            "publish_failures": metrics.counter("call_events_publish_failures", "publishes retried"),
        }
        self._seen = dict.fromkeys(self._counters, 0)
        self._dropped_seen = 0

    @property
    def alarm_active(self) -> bool:
        return self._alarm_state.active

    async def check(self) -> BacklogState:
        try:
            pending = await self.consumer.pending()
        except Exception as err:  # NATS away: the outbox's own queue still says something
            log.warning("call log backlog: consumer info unavailable (%s)", err)
            pending = 0
        lag = max(self.consumer.lag_seconds(), self.outbox.oldest_age())
        state = BacklogState(pending + self.outbox.queued, lag, self.outbox.dropped)
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
            "dropped": self.outbox.dropped,
            "failures": self.consumer.failures,
            "publish_failures": self.outbox.failures,
        }
        self._seen = advance(self._counters, self._seen, now)

    async def _alarm(self, state: BacklogState) -> None:
        dropping, self._dropped_seen = state.dropped > self._dropped_seen, state.dropped
        if not self._alarm_state.update(state.lag_s, state.pending, force=dropping):
            return
        if self.alarm_active:
            log.error(
                "ACD call events backlog: %d pending, oldest waiting %.1f s, %d dropped",
                state.pending, state.lag_s, state.dropped,
            )  # fmt: skip
        else:
            log.warning("ACD call events backlog cleared: %d pending", state.pending)
        await self._announce(state)

    async def _announce(self, state: BacklogState) -> None:
        alarm = {
            "kind": ALARM_KIND,
            "queue": "",
            "agent_id": "",
            "active": self.alarm_active,
            "value": round(state.lag_s, 3),
            "threshold": self.alarm_lag_s,
        }
        if self.supervision is not None:
            if self.alarm_active:
                self.supervision.raised.labels(ALARM_KIND, "").inc()
            self.supervision.active.labels(ALARM_KIND, "").set(1 if self.alarm_active else 0)
            self.supervision.feed.publish("alarm", alarm)
        try:
            await self.bus.notify(subjects.ACD_ALARM, Alarm(meta=new_meta("", producer="acd"), **alarm))
        except Exception:  # the metric, the live stream and the log still show it
            log.exception("ACD call events backlog alarm not published on NATS")

    async def run(self, every_s: float) -> None:
        await every(self.check, every_s, log, "call log backlog check")

"""Back-pressure made visible (issue 15 part 2): the backlog watch's metrics and its cdr_backlog alarm on the
supervisors' alarm subject — raised once past the threshold, cleared once under half of it (no flapping
around the threshold). No network: the consumer, intake, writer and bus are stand-ins."""

from __future__ import annotations

from dataclasses import dataclass, field

from careline import subjects
from careline.cdr.backlog import ALARM_KIND, BacklogWatch
from careline.core.metrics import ServiceMetrics


@dataclass
class Consumer:
    waiting: int = 0
    lag: float = 0.0
    failures: int = 0

    async def pending(self) -> int:
        return self.waiting

    def lag_seconds(self) -> float:
        return self.lag


@dataclass
class Intake:
    queued: int = 0


@dataclass
class Writer:
    stored: int = 0
    duplicates: int = 0


@dataclass
class Bus:
    sent: list = field(default_factory=list)

    async def notify(self, subject, message, **_kw) -> None:
        self.sent.append((subject, message))


def watch(consumer, intake, bus, metrics) -> BacklogWatch:
    return BacklogWatch(
        bus=bus,
        consumer=consumer,
        intake=intake,
        writer=Writer(),
        metrics=metrics,
        alarm_lag_s=30,
        alarm_pending=1000,
    )


async def test_the_alarm_is_raised_once_and_cleared_under_half_the_threshold():
    consumer, intake, bus, metrics = Consumer(), Intake(), Bus(), ServiceMetrics("cdr")
    w = watch(consumer, intake, bus, metrics)
    await w.check()
    assert bus.sent == []

    consumer.lag, consumer.waiting, intake.queued = 45.0, 700, 12
    state = await w.check()
    assert (state.pending, state.lag_s) == (712, 45.0)
    await w.check()  # still over: no second alarm
    consumer.lag = 20.0  # under the threshold, not under half of it: still raised
    await w.check()
    assert len(bus.sent) == 1
    subject, alarm = bus.sent[0]
    assert subject == subjects.ACD_ALARM and alarm.kind == ALARM_KIND and alarm.active
    assert (alarm.value, alarm.threshold, alarm.meta.producer) == (45.0, 30.0, "cdr")

    consumer.lag, consumer.waiting = 2.0, 10
    await w.check()
    assert len(bus.sent) == 2 and not bus.sent[1][1].active

    text = metrics.render()[0].decode()
    assert "careline_cdr_pending_records 22.0" in text
    assert "careline_cdr_ingest_lag_seconds 2.0" in text
    assert "careline_cdr_backlog_alarm_active 0.0" in text


async def test_a_pending_count_past_its_threshold_raises_the_alarm_too():
    consumer, bus = Consumer(waiting=5000), Bus()
    w = watch(consumer, Intake(), bus, ServiceMetrics("cdr"))
    await w.check()
    assert [m.active for _, m in bus.sent] == [True]

"""The ACD's call log made loss-free (issue 15, R-STAT1), without the network: the record hook never waits
and queues each event with an id of its own; the outbox publishes in order, the events waiting together as
one message named (Nats-Msg-Id) by its first event, retries while NATS refuses (the same message, the same
order), and, bounded, drops and counts rather than grow without end; the writer's decoder gives back the
events as recorded; the backlog watch raises ``acd_events_backlog`` once and clears it under half the
threshold. The bus and consumer are stand-ins."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
from dataclasses import dataclass, field

import pytest

from careline import subjects
from careline.acd.call_log import CallLog
from careline.acd.call_log.backlog import ALARM_KIND, CallLogBacklog
from careline.acd.call_log.intake import EventOutbox, encode
from careline.acd.call_log.writer import decode
from careline.acd.domain.call_events import AGENT, CallEvent
from careline.core.metrics import ServiceMetrics

SUBJECT = subjects.acd_intake_event("db1")


@dataclass
class Ack:
    seq: int
    duplicate: bool = False


@dataclass
class FlakyBus:
    """Stores what it is given (deduplicating by msg id, as JetStream does); refuses while ``down``;
    ``lose_acks`` publishes are stored but answered with a time-out (the ack lost on the way back)."""

    down: bool = False
    lose_acks: int = 0
    stored: dict = field(default_factory=dict)  # msg id -> (seq, data)
    events: list = field(default_factory=list)  # the event ids stored, in the order stored
    sent: list = field(default_factory=list)

    async def publish_raw(self, subject, data, *, msg_id):
        assert subject == SUBJECT
        await asyncio.sleep(0)
        if self.down:
            raise TimeoutError("nats: timeout")
        if msg_id in self.stored:
            return Ack(self.stored[msg_id][0], duplicate=True)
        self.stored[msg_id] = (len(self.stored) + 1, data)
        body = json.loads(data)
        self.events += [e["id"] for e in (body if isinstance(body, list) else [body])]
        if self.lose_acks:
            self.lose_acks -= 1
            raise TimeoutError("nats: timeout")
        return Ack(len(self.stored))

    async def notify(self, subject, message, **_kw):
        self.sent.append((subject, message))


@dataclass
class Raw:
    data: bytes


async def _until(predicate, within: float = 5.0) -> None:
    end = asyncio.get_running_loop().time() + within
    while not predicate():  # noqa: ASYNC110 - a stand-in bus: polling is the simplest honest wait
        assert asyncio.get_running_loop().time() < end, "condition not met"
        await asyncio.sleep(0.01)


def _offered(n: int) -> CallEvent:
    return CallEvent("offered", "care", f"call-{n}")


async def test_record_never_waits_and_gives_each_event_an_id_of_its_own():
    log = CallLog(sessions=None)
    for n in range(3):
        assert log.record(_offered(n)) is None  # synchronous: nothing to await on the routing path
    items = list(log.outbox._queue)
    ids = [i.event_id for i in items]
    assert len(set(ids)) == 3 and all(len(i) == 36 for i in ids)
    assert [json.loads(i.data)["id"] for i in items] == ids  # the id travels with the event
    assert log.outbox.queued == 3 and log.outbox.accepted == 3


def test_the_writer_reads_back_the_event_as_recorded():
    at = dt.datetime(2026, 12, 4, 17, 0, 1, 250000, tzinfo=dt.UTC)
    event = CallEvent(AGENT, agent_id="a1", at=at, talk_s=12.5, busy_s=3.0, handled=2, missed=1)
    event_id, data = encode(event, "0190-fixed")
    (row,) = decode(Raw(data))
    assert event_id == row["event_id"] == "0190-fixed"
    assert row["at"] == at and row["kind"] == AGENT and row["agent_id"] == "a1"
    figures = (row["talk_s"], row["busy_s"], row["handled"], row["missed"], row["queue"])
    assert figures == (12.5, 3.0, 2, 1, "")
    other = encode(_offered(2))[1]
    rows = decode(Raw(b"[" + data + b',{"kind": "offered"},' + other + b"]"))  # one entry is no event
    assert [r["kind"] for r in rows] == [AGENT, "offered"]
    for bad in (b"[]", b'{"kind": "offered", "at": "2026-12-04T17:00:00"}', b"not json", b"[1, 2]"):
        with pytest.raises(ValueError):
            decode(Raw(bad))


async def test_waiting_events_go_in_order_several_to_a_message_named_by_its_first():
    bus, outbox = FlakyBus(), EventOutbox(batch_max=256)
    ids = [outbox.put(*encode(_offered(n))) and outbox._queue[-1].event_id for n in range(300)]
    outbox.start(bus, SUBJECT)  # 300 waiting: two messages
    seq = await asyncio.wait_for(outbox.stored_through(300), 5)
    assert bus.events == ids and list(bus.stored) == [ids[0], ids[256]] and seq == 2
    assert outbox.published == 300 and outbox.queued == 0
    outbox.put(*encode(_offered(300)))  # a lone event is a message of its own, at once
    await asyncio.wait_for(outbox.stored_through(301), 5)
    assert len(bus.stored) == 3 and json.loads(bus.stored[bus.events[-1]][1])["call_uuid"] == "call-300"
    await outbox.stop()


async def test_while_nats_refuses_events_wait_in_order_then_go_out_once():
    bus, outbox = FlakyBus(down=True), EventOutbox(retry_max=0.05)
    outbox.start(bus, SUBJECT)
    ids = []
    for n in range(50):
        outbox.put(*encode(_offered(n)))
        ids.append(outbox._queue[-1].event_id)  # put is synchronous: the drain task has not run yet
    await _until(lambda: outbox.failures >= 100)  # the message of 50 refused at least twice
    for n in range(50, 55):  # recorded while the first message is being retried: a later message
        outbox.put(*encode(_offered(n)))
        ids.append(outbox._queue[-1].event_id)
    assert bus.stored == {} and outbox.queued == 55 and outbox.oldest_age() > 0
    bus.down = False
    await asyncio.wait_for(outbox.stored_through(55), 5)
    assert bus.events == ids and list(bus.stored) == [ids[0], ids[50]]  # every event, once, in order
    assert outbox.oldest_age() == 0.0
    assert await outbox.stop() == 0


async def test_a_message_whose_ack_was_lost_is_sent_again_the_same_and_stored_once():
    """The retried message must be the same events: with the same Nats-Msg-Id and other events, the
    server would drop those as a duplicate."""
    bus, outbox = FlakyBus(lose_acks=1), EventOutbox(retry_max=0.05)
    ids = [outbox.put(*encode(_offered(n))) and outbox._queue[-1].event_id for n in range(3)]
    outbox.start(bus, SUBJECT)
    await _until(lambda: outbox.failures >= 3)
    ids += [outbox.put(*encode(_offered(n))) and outbox._queue[-1].event_id for n in range(3, 5)]
    await asyncio.wait_for(outbox.stored_through(5), 5)
    assert bus.events == ids and list(bus.stored) == [ids[0], ids[3]]
    assert (outbox.duplicates, outbox.published) == (3, 2)  # the server said "already had it"
    await outbox.stop()


async def test_the_bound_drops_and_counts_instead_of_growing():
    outbox = EventOutbox(max_queued=10)  # not started: as if NATS never came
    accepted = [outbox.put(*encode(_offered(n))) for n in range(15)]
    assert accepted == [True] * 10 + [False] * 5
    assert (outbox.queued, outbox.dropped, outbox.accepted) == (10, 5, 10)


async def test_a_query_waits_for_this_process_events_then_gives_up_after_the_bound():
    bus = FlakyBus(down=True)
    committed_up_to = {"seq": 0}

    async def committed(seq: int) -> bool:
        return committed_up_to["seq"] >= seq

    log = CallLog(sessions=None, read_wait_s=0.2)
    log.outbox._retry_max = 0.02
    log.start(bus, SUBJECT, committed)
    log.record(_offered(1))
    assert await log.flush() is False and log.stale_reads == 1  # NATS away: bounded, said
    bus.down = False
    waiting = asyncio.create_task(log.flush(5))
    await asyncio.sleep(0.1)
    assert not waiting.done()  # on JetStream, not yet committed by the writer
    committed_up_to["seq"] = 1
    assert await waiting is True
    await log.outbox.stop()


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
class Writer:
    stored: int = 0
    duplicates: int = 0


async def test_the_backlog_alarm_is_raised_once_and_cleared_under_half_the_threshold():
    consumer, outbox, bus, metrics = Consumer(), EventOutbox(max_queued=3), FlakyBus(), ServiceMetrics("acd")
    watch = CallLogBacklog(
        bus=bus,
        consumer=consumer,
        outbox=outbox,
        writer=Writer(stored=7),
        metrics=metrics,
        alarm_lag_s=30,
        alarm_pending=1000,
    )
    await watch.check()
    assert bus.sent == []
    consumer.lag, consumer.waiting = 45.0, 700
    outbox.put(*encode(_offered(1)))
    state = await watch.check()
    assert (state.pending, state.lag_s) == (701, 45.0)
    await watch.check()  # still over: no second alarm
    consumer.lag = 20.0  # under the threshold, not under half of it: still raised
    await watch.check()
    ((subject, alarm),) = bus.sent
    assert subject == subjects.ACD_ALARM and alarm.kind == ALARM_KIND and alarm.active
    assert (alarm.value, alarm.threshold, alarm.meta.producer) == (45.0, 30.0, "acd")
    consumer.lag, consumer.waiting = 2.0, 10
    await watch.check()
    assert len(bus.sent) == 2 and not bus.sent[1][1].active
    text = metrics.render()[0].decode()
    assert "careline_acd_call_events_pending 11.0" in text
    assert "careline_acd_call_events_stored_total 7.0" in text


async def test_a_dropped_event_raises_the_alarm_even_without_a_lag():
    consumer, outbox, bus, metrics = Consumer(), EventOutbox(max_queued=1), FlakyBus(), ServiceMetrics("acd")
    watch = CallLogBacklog(
        bus=bus, consumer=consumer, outbox=outbox, writer=Writer(), metrics=metrics,
        alarm_lag_s=1e9, alarm_pending=10**9,
    )  # fmt: skip
    outbox.put(*encode(_offered(1)))
    outbox.put(*encode(_offered(2)))  # over the bound: dropped
    await watch.check()
    assert [m.active for _, m in bus.sent] == [True]
    assert "careline_acd_call_events_dropped_total 1.0" in metrics.render()[0].decode()
    outbox._queue.clear()  # published meanwhile, no new drop: cleared at the next look
    await watch.check()
    assert [m.active for _, m in bus.sent] == [True, False]

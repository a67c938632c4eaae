"""No ACD statistics fact is lost or doubled (issue 15 part 1, R-STAT1), on the FreeSWITCH simulator with
a real nats-server and a SQLite file:

- the database fails every write during a burst of calls (another connection holds SQLite's write lock,
  "database is locked"): the distributor goes on routing, the events wait on JetStream, the backlog shows
  as metrics and as the ``acd_events_backlog`` alarm, and once the lock is gone every event the ACD
  recorded is stored exactly once and the alarm is cleared;
- the ACD is stopped mid-burst (its lifespan ends) and a new one started on the same database and NATS,
  with the database writable over the stop, and with it locked over the stop (the first ACD cannot write
  what it recorded last: it stays on JetStream for the second): afterwards every event either recorded is
  stored exactly once; the same events published again (another Nats-Msg-Id, past the server's dedupe)
  insert nothing.

The events recorded are taken from the call log's own outbox (each id as the distributor's hook queued
it), so "every event" means every one recorded, not a count guessed from the calls. Bounds are generous
waits for a condition, never speed assertions."""

from __future__ import annotations

import asyncio
import inspect
import sqlite3
from contextlib import asynccontextmanager

import httpx
import pytest
from sqlalchemy.engine import make_url

from careline import subjects
from careline.acd.app import create_app
from careline.acd.call_log.backlog import ALARM_KIND
from careline.switchsim import PhoneBehaviour
from careline.v1.acd_pb2 import Alarm

from .conftest import desk_settings, desk_switch
from .test_call_controls import _caller

AGENTS = ("2001", "2002", "2003")
CALLS = 24


async def until(predicate, within: float = 60.0, what: str = "condition"):
    loop = asyncio.get_running_loop()
    end = loop.time() + within
    while loop.time() < end:
        value = predicate()
        if inspect.isawaitable(value):
            value = await value
        if value:
            return value
        await asyncio.sleep(0.05)
    raise AssertionError(f"{what}: not met in {within:.0f} s")


@pytest.fixture
async def switch():
    sw = desk_switch()
    await sw.start()
    try:
        yield sw
    finally:
        await sw.stop()


def settings_for(sw, tmp_path, nats_url):
    return desk_settings(sw, tmp_path, nats_url).model_copy(
        update={
            "stats_sample_s": 0.2,  # agents' workload facts too, several per second
            "call_log_backlog_check_s": 0.1,
            "call_log_backlog_alarm_lag_s": 1.0,
            "call_log_write_linger_s": 0.05,
            "call_log_write_ack_wait_s": 3.0,  # a batch a stopped ACD held comes back after this
            "call_log_drain_s": 3.0,
        }
    )


class Recorded:
    """Every event an app's call log accepted, by id, with the bytes it published."""

    def __init__(self) -> None:
        self.events: dict[str, bytes] = {}

    def watch(self, app) -> None:
        outbox = app.state.call_log.outbox
        put = outbox.put

        def recording_put(event_id: str, data: bytes) -> bool:
            accepted = put(event_id, data)
            if accepted:
                assert event_id not in self.events, "an id given twice"
                self.events[event_id] = data
            return accepted

        outbox.put = recording_put


@asynccontextmanager
async def running(settings, recorded: Recorded):
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        recorded.watch(app)
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app), base_url="http://t") as client:
            await until(lambda: _ok(client.get("/readyz")), 10, "acd ready")
            assert (await client.put("/v1/queues/care", json={"wrap_up_s": 0})).status_code == 200
            yield app, client


async def _ok(request) -> bool:
    return (await request).status_code == 200


async def add_agents(client, sw) -> None:
    for n, ext in enumerate(AGENTS):
        sw.add_phone(ext, PhoneBehaviour(answer_after=0.1, talk_time=0.4))
        if (await client.get(f"/v1/agents/a{n}")).status_code == 404:
            body = {"id": f"a{n}", "name": f"a{n}", "extension": ext}
            assert (await client.post("/v1/agents", json=body)).status_code == 201
        assert (await client.post(f"/v1/agents/a{n}/login")).status_code == 200


async def burst(sw, bus, first: int, last: int, every: float = 0.05) -> list[str]:
    callers = []
    for n in range(first, last):
        callers.append(await _caller(sw, bus, f"1391234{n:04d}"))
        await asyncio.sleep(every)
    return callers


@asynccontextmanager
async def database_locked(db_file: str):
    """Every write the ACD tries fails until the block ends: another writer holds SQLite's lock."""
    locker = sqlite3.connect(db_file, isolation_level=None, timeout=30)
    locker.execute("BEGIN EXCLUSIVE")
    try:
        yield
    finally:
        locker.rollback()
        locker.close()


def stored_ids(db_file: str) -> list[str]:
    """Every event id in acd_call_events, repeats included (WAL: readable while another holds the lock)."""
    with sqlite3.connect(db_file, timeout=30) as conn:
        rows = conn.execute("SELECT event_id FROM acd_call_events WHERE event_id IS NOT NULL").fetchall()
    return [event_id for (event_id,) in rows]


async def all_stored(db_file: str, wanted: set[str]) -> bool:
    return wanted <= set(await asyncio.to_thread(stored_ids, db_file))


def db_file_of(settings) -> str:
    return make_url(settings.database_url).database


async def test_database_locked_during_a_burst_delays_events_never_loses_or_doubles_them(
    switch, tmp_path, nats_url, bus
):
    settings, recorded = settings_for(switch, tmp_path, nats_url), Recorded()
    db_file = db_file_of(settings)
    alarms: list[Alarm] = []

    async def on_alarm(alarm: Alarm) -> None:
        if alarm.kind == ALARM_KIND:
            alarms.append(alarm)

    await bus.subscribe(subjects.ACD_ALARM, on_alarm, msg_type=Alarm)
    async with running(settings, recorded) as (app, client):
        await add_agents(client, switch)
        writing = app.state.call_log_writing
        async with database_locked(db_file):
            before = set(await asyncio.to_thread(stored_ids, db_file))
            await burst(switch, bus, 0, CALLS)  # routing goes on: the distributor never waits on the db
            await until(lambda: writing.consumer.failures >= 1, 60, "a write failed")
            await until(lambda: any(a.active for a in alarms), 60, "backlog alarm raised")
            assert writing.backlog.last.pending > 0 and writing.writer.stored == 0
            assert set(await asyncio.to_thread(stored_ids, db_file)) == before  # nothing written meanwhile
            metrics = (await client.get("/metrics")).text
            assert 'careline_acd_alarm_active{kind="acd_events_backlog",queue=""} 1.0' in metrics
            for name in ("careline_acd_call_events_pending", "careline_acd_call_events_lag_seconds"):
                assert name in metrics
        answered = (await client.get("/v1/stats")).json()["answered"]
        assert answered >= CALLS // 2, "too few calls were answered: the burst proves little"
        wanted = set(recorded.events)
        await until(lambda: all_stored(db_file, wanted), 60, "every recorded event stored after the lock")
        await until(lambda: alarms and not alarms[-1].active, 30, "backlog alarm cleared")
        # a statistics query reads its own writes: every caller offered so far is counted
        rows = (await client.get("/v1/stats/queues", params={"interval": "1d", "queue": "care"})).json()
        assert sum(r["offered"] for r in rows) == CALLS
    ids = await asyncio.to_thread(stored_ids, db_file)
    assert len(ids) == len(set(ids)) and set(ids) == set(recorded.events)  # every event, exactly once


@pytest.mark.parametrize("locked_over_the_stop", [False, True], ids=["writable", "locked"])
async def test_acd_stopped_mid_burst_and_started_again_loses_and_doubles_no_event(
    switch, tmp_path, nats_url, bus, locked_over_the_stop
):
    settings, recorded = settings_for(switch, tmp_path, nats_url), Recorded()
    db_file = db_file_of(settings)
    if locked_over_the_stop:
        settings = settings.model_copy(update={"call_log_drain_s": 0.5})
    async with running(settings, recorded) as (app, client):
        await add_agents(client, switch)
        await burst(switch, bus, 0, CALLS // 2)
        if locked_over_the_stop:
            locker = database_locked(db_file)
            await locker.__aenter__()
            await burst(switch, bus, CALLS // 2, CALLS // 2 + 4)  # recorded, not writable
        first = app.state.call_log_writing
    # the first ACD is stopped: its lifespan ended mid-burst (callers still up, calls still ringing)
    first_events = dict(recorded.events)
    assert first_events
    if locked_over_the_stop:
        assert not await all_stored(db_file, set(first_events)), "all written: the test proves nothing"
        await locker.__aexit__(None, None, None)
    assert first.call_log.outbox.queued == 0  # everything recorded reached JetStream before the stop

    async with running(settings, recorded) as (app, client):  # same database, same NATS durable
        await add_agents(client, switch)
        await burst(switch, bus, CALLS // 2 + 4, CALLS + 4)
        wanted = set(recorded.events)
        assert len(wanted) > len(first_events)
        await until(lambda: all_stored(db_file, wanted), 60, "every event of both ACDs stored")

        # the same events again under other message ids (past JetStream's dedupe): the insert ignores them
        writer = app.state.call_log_writing.writer
        duplicates = writer.duplicates
        subject = app.state.call_log.outbox._subject  # careline.intake.acd.<this database's log id>
        assert subject.startswith("careline.intake.acd.")
        for event_id, data in first_events.items():
            await bus.publish_raw(subject, data, msg_id=f"replay-{event_id}")
        await until(lambda: writer.duplicates >= duplicates + len(first_events), 60, "replays seen")
        assert await app.state.call_log.flush()
    ids = await asyncio.to_thread(stored_ids, db_file)
    assert len(ids) == len(set(ids)), "an event stored twice"
    assert set(ids) == set(recorded.events)  # nothing lost, nothing made up

"""No CDR is lost (issue 15 "Done when", R-CDR1; docs/adr/0002), on the FreeSWITCH simulator with a real
nats-server and a SQLite file (and PostgreSQL):

- the database fails every write during a burst of calls (SQLite: another writer holds the lock, "database
  is locked"; PostgreSQL when CARELINE_TEST_PG_URL is set: the database refuses connections and its open
  ones are cut): the legs wait on JetStream, the backlog shows as a metric and an alarm, and once the
  database is back every leg's record is stored, exactly once, and its Cdr fact published once;
- the CDR service is stopped (its lifespan ends) or killed (SIGKILL) during a burst and started again:
  hangups it missed while away were posted by the simulator's mod_json_cdr, spooled to its err-log-dir
  when the posts failed, and re-ingested by ``careline cdr import``; what it had taken and not written is
  redelivered; afterwards every leg's record is there exactly once.

Bounds are generous waits for a condition, never speed assertions."""

from __future__ import annotations

import asyncio
import inspect
import os
import signal
import socket
import sqlite3
import subprocess
import sys
from contextlib import asynccontextmanager

import httpx
import pytest
import uvicorn
from sqlalchemy import func, select
from sqlalchemy.engine import make_url

from careline import subjects
from careline.cdr.app import create_app
from careline.cdr.backlog import ALARM_KIND
from careline.cdr.importer import import_dir
from careline.cdr.models import CdrRow
from careline.cdr.settings import CdrSettings
from careline.core.db import sqlite_url
from careline.switchsim import TRACE_DIALPLAN, PhoneBehaviour, Switch, SwitchConfig
from careline.switchsim.endpoints.json_cdr import JsonCdrConfig, attach
from careline.v1.acd_pb2 import Alarm

AGENT = "1001"
CALLS = 30  # two legs each: the caller and the agent it is bridged to


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
    dialplan = [*TRACE_DIALPLAN, ("9200", [("answer", ""), ("bridge", f"user/{AGENT}")])]
    sw = Switch(
        SwitchConfig(host="127.0.0.1", esl_port=0, password="ClueCon", time_scale=0.05, dialplan=dialplan)
    )
    await sw.start()
    sw.add_phone(AGENT, PhoneBehaviour(answer_after=0.2, talk_time=2.0))
    try:
        yield sw
    finally:
        await sw.stop()


@pytest.fixture
def legs(switch) -> list[str]:
    """The uuid of every leg the switch hung up (CHANNEL_HANGUP_COMPLETE), in order."""
    seen: list[str] = []
    fire = switch.core.fire

    def recording_fire(ev):
        if ev.name == "CHANNEL_HANGUP_COMPLETE":
            seen.append(ev.get("Unique-ID"))
        fire(ev)

    switch.core.fire = recording_fire
    return seen


def settings_for(switch, nats_url, db_url: str, **extra) -> CdrSettings:
    values = {
        "env": "test",
        "db_url": db_url,
        "nats_url": nats_url,
        "esl_host": "127.0.0.1",
        "esl_port": switch.esl_port,
        "esl_password": switch.password,
        "backlog_check_s": 0.1,
        "backlog_alarm_lag_s": 1.0,
        "write_linger_s": 0.05,
        "write_ack_wait_s": 3.0,
    }
    return CdrSettings(**(values | extra))


async def wait_ready(app) -> None:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://cdr") as client:
        await until(lambda: _ok(client), 30, "CDR service ready")


async def _ok(client) -> bool:
    return (await client.get("/readyz")).status_code == 200


async def burst(switch, calls: int = CALLS, every: float = 0.05, on_call=None) -> None:
    for n in range(calls):
        await switch.place_call(f"1391234{n:04d}", "9200")
        if on_call is not None:
            await on_call(n)
        await asyncio.sleep(every)
    assert await switch.wait_idle(60), "calls still up after the burst"


async def stored_legs(sessions) -> tuple[set[str], int]:
    async with sessions() as session:
        uuids = set(await session.scalars(select(CdrRow.uuid)))
        rows = await session.scalar(select(func.count()).select_from(CdrRow))
    return uuids, int(rows or 0)


async def cdr_facts(bus) -> int:
    return (await bus.nc.jetstream().stream_info(subjects.CDRS)).state.messages


@asynccontextmanager
async def database_down(db_url: str):
    """Every write the service tries fails until the block ends. SQLite: another writer holds the write
    lock ("database is locked" once busy_timeout runs out, the failure of issue 15). PostgreSQL: the
    database refuses connections and its open ones are cut (a database restarting or unreachable)."""
    url = make_url(db_url)
    if url.get_backend_name() == "sqlite":
        locker = sqlite3.connect(url.database, isolation_level=None, timeout=30)
        locker.execute("BEGIN EXCLUSIVE")
        try:
            yield
        finally:
            locker.rollback()
            locker.close()
        return
    import asyncpg

    admin = await asyncpg.connect(
        url.set(drivername="postgresql", database="postgres").render_as_string(hide_password=False)
    )
    name = url.database
    try:
        await admin.execute(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS false')
        await admin.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
            " WHERE datname = $1 AND pid <> pg_backend_pid()",
            name,
        )
        yield
    finally:
        await admin.execute(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS true')
        await admin.close()


async def test_database_down_during_a_burst_delays_records_never_loses_them(
    switch, legs, nats_url, bus, db_url
):
    app = create_app(settings_for(switch, nats_url, db_url))
    alarms: list[Alarm] = []

    async def on_alarm(alarm: Alarm) -> None:
        if alarm.kind == ALARM_KIND:
            alarms.append(alarm)

    await bus.subscribe(subjects.ACD_ALARM, on_alarm, msg_type=Alarm)
    await bus.ensure_streams(s for s in subjects.STREAMS if s.name == subjects.CDRS)
    facts_before = await cdr_facts(bus)
    async with app.router.lifespan_context(app):
        await wait_ready(app)
        consumer, watch = app.state.cdr_consumer, app.state.cdr_backlog
        async with database_down(db_url):
            await burst(switch)
            await until(lambda: consumer.failures >= 1, 60, "a write failed")
            await until(lambda: any(a.active for a in alarms), 60, "backlog alarm raised")
            assert watch.last.pending > 0 and app.state.cdr_writer.stored == 0
            metrics = (await _get(app, "/metrics")).text
            assert "careline_cdr_pending_records" in metrics and "careline_cdr_ingest_lag_seconds" in metrics
        sessions = app.state.runtime.sessions
        wanted = set(legs)
        assert len(wanted) == len(legs) == 2 * CALLS
        await until(lambda: _all_stored(sessions, wanted), 60, "every leg stored after the lock")
        uuids, rows = await stored_legs(sessions)
        assert uuids == wanted and rows == len(wanted)  # every leg, exactly once
        await until(lambda: alarms and not alarms[-1].active, 30, "backlog alarm cleared")
    assert await cdr_facts(bus) - facts_before == len(wanted)  # one Cdr fact per leg


async def test_cdr_service_stopped_during_a_burst_and_restarted_misses_no_leg(
    switch, legs, nats_url, bus, tmp_path
):
    db_file, spool = tmp_path / "cdr.db", tmp_path / "json_cdr"
    port = _free_port()
    settings = settings_for(switch, nats_url, sqlite_url(db_file), http_host="127.0.0.1", http_port=port)
    reporter = attach(
        switch,
        JsonCdrConfig(
            url=f"http://127.0.0.1:{port}/v1/intake/json-cdr", retries=2, delay=0.05, err_log_dir=spool
        ),
    )
    first = await _serve(create_app(settings))
    stopped = asyncio.Event()

    async def stop_a_third_in(n: int) -> None:
        if n == CALLS // 3:
            await _stop(first)  # mid-burst: its lifespan ends; hangups from now on are not seen by ESL
            stopped.set()

    await burst(switch, on_call=stop_a_third_in)
    assert stopped.is_set()
    await until(lambda: not reporter._tasks, 30, "mod_json_cdr done posting or spooling")
    assert reporter.spooled > 0, "no leg ended while the service was down: the test proves nothing"

    second = await _serve(create_app(settings))  # same database, same NATS durable
    try:
        sessions = second.config.app.state.runtime.sessions
        wanted = set(legs)
        assert len(wanted) == len(legs) == 2 * CALLS
        await until(lambda: _drained(second.config.app), 60, "the intake stream drained")
        uuids, _ = await stored_legs(sessions)
        missing = wanted - uuids
        spooled = {p.name.removesuffix(".cdr.json") for p in spool.glob("*.cdr.json")}
        assert missing, "no leg was missed while the service was down: the test proves nothing"
        assert missing <= spooled  # what ESL missed is exactly what mod_json_cdr kept
        report = await import_dir(
            bus, spool, site=os.environ["CARELINE_CDR_INTAKE_SITE"]
        )  # `careline cdr import`
        assert report.rejected == 0 and report.imported + report.already == reporter.spooled
        await until(lambda: _all_stored(sessions, wanted), 60, "every leg stored after the import")
        uuids, rows = await stored_legs(sessions)
        assert uuids == wanted and rows == len(wanted)  # every leg, exactly once
        assert not list(spool.glob("*.cdr.json"))  # all moved to imported/
    finally:
        await _stop(second)


async def test_cdr_service_killed_during_a_burst_and_restarted_misses_no_leg(
    switch, legs, nats_url, bus, tmp_path
):
    """SIGKILL, not a stop: no drain, no shutdown, a batch possibly taken and not acked, legs taken from ESL
    and not yet on JetStream lost with the process. What it had made durable is redelivered to the next
    writer (after write_ack_wait_s); what it had not is in mod_json_cdr's spool."""
    db_file, spool = tmp_path / "cdr.db", tmp_path / "json_cdr"
    port = _free_port()
    settings = settings_for(switch, nats_url, sqlite_url(db_file), http_host="127.0.0.1", http_port=port)
    url = f"http://127.0.0.1:{port}/v1/intake/json-cdr"
    reporter = attach(switch, JsonCdrConfig(url=url, retries=2, delay=0.05, err_log_dir=spool))
    first = await _spawn(settings, tmp_path / "first.log")
    killed = asyncio.Event()

    async def kill_a_third_in(n: int) -> None:
        if n == CALLS // 3:
            first.send_signal(signal.SIGKILL)
            await asyncio.to_thread(first.wait, 30)
            killed.set()

    try:
        await burst(switch, on_call=kill_a_third_in)
    finally:
        if first.poll() is None:
            first.kill()
    assert killed.is_set() and first.returncode == -signal.SIGKILL
    await until(lambda: not reporter._tasks, 30, "mod_json_cdr done posting or spooling")
    assert reporter.spooled > 0, "no leg ended while the service was dead: the test proves nothing"

    second = await _serve(create_app(settings))  # same database, same NATS durable
    try:
        sessions = second.config.app.state.runtime.sessions
        wanted = set(legs)
        assert len(wanted) == len(legs) == 2 * CALLS
        report = await import_dir(
            bus, spool, site=os.environ["CARELINE_CDR_INTAKE_SITE"]
        )  # `careline cdr import`
        assert report.rejected == 0 and report.imported + report.already == reporter.spooled
        await until(lambda: _all_stored(sessions, wanted), 60, "every leg stored after the restart")
        uuids, rows = await stored_legs(sessions)
        assert uuids == wanted and rows == len(wanted)  # every leg, exactly once
    finally:
        await _stop(second)


async def _spawn(settings: CdrSettings, log_file) -> subprocess.Popen:
    """``careline serve cdr`` as its own process, configured like ``settings``; returns once it is ready."""
    env = dict(os.environ)
    for name in (
        "db_url", "nats_url", "esl_host", "esl_port", "esl_password", "http_host", "http_port",
        "backlog_check_s", "write_linger_s", "write_ack_wait_s",
    ):  # fmt: skip
        value = settings.secret(name) if name in settings.secret_fields() else getattr(settings, name)
        env[f"CARELINE_CDR_{name.upper()}"] = str(value)
    env["CARELINE_CDR_ENV"] = "test"
    proc = _popen([sys.executable, "-m", "careline.cli", "serve", "cdr"], env, log_file)
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{settings.http_port}", timeout=2) as client:

        async def ready() -> bool:
            if proc.poll() is not None:
                raise AssertionError(f"careline serve cdr exited: {log_file.read_text()[-2000:]}")
            try:
                return (await client.get("/readyz")).status_code == 200
            except httpx.TransportError:
                return False

        try:
            await until(ready, 60, "careline serve cdr ready")
        except BaseException:
            proc.kill()
            raise
    return proc


def _popen(cmd: list[str], env: dict, log_file) -> subprocess.Popen:
    with open(log_file, "w") as log:
        return subprocess.Popen(cmd, env=env, stdout=log, stderr=log)


async def _all_stored(sessions, wanted: set[str]) -> bool:
    uuids, _ = await stored_legs(sessions)
    return wanted <= uuids


async def _drained(app) -> bool:
    """Nothing left on the intake stream for the writer, nothing held by it."""
    state = await app.state.cdr_backlog.check()
    return state.pending == 0 and app.state.cdr_consumer.oldest_unwritten_at is None


async def _get(app, path: str) -> httpx.Response:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://cdr") as client:
        return await client.get(path)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


async def _serve(app) -> uvicorn.Server:
    settings = app.state.settings
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=settings.http_port, log_config=None, lifespan="on")
    )
    server.task = asyncio.create_task(server.serve())
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{settings.http_port}", timeout=2) as client:

        async def ready() -> bool:
            try:
                return (await client.get("/readyz")).status_code == 200
            except httpx.TransportError:
                return False

        await until(ready, 30, "CDR service serving")
    return server


async def _stop(server: uvicorn.Server) -> None:
    server.should_exit = True
    await asyncio.wait_for(server.task, 60)

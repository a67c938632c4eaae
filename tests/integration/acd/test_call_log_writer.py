"""The call log's writer on SQLite and PostgreSQL (issue 15, R-STAT1; `make test-pg` for the latter): a
batch is one insert that ignores events already stored (a redelivery, a republish, the same event twice in
one batch), so each event is in acd_call_events exactly once; a database keeps one call log id, whoever
asks first; the acd_0004 migration matches the models."""

from __future__ import annotations

import asyncio
import datetime as dt

from sqlalchemy import func, select

from careline.acd.call_log.intake import encode
from careline.acd.call_log.writer import CallEventWriter, call_log_id, decode
from careline.acd.domain.call_events import AGENT, CallEvent
from careline.acd.models import Base, CallEventRow
from careline.core.db import make_engine, migrate, schema_diff


class Raw:
    def __init__(self, data: bytes) -> None:
        self.data = data


def _rows(events: list[CallEvent]) -> list[dict]:
    return [row for e in events for row in decode(Raw(encode(e)[1]))]


async def _stored(engine) -> list[tuple]:
    async with engine.connect() as conn:
        result = await conn.execute(
            select(CallEventRow.event_id, CallEventRow.kind, CallEventRow.wait_s, CallEventRow.at)
        )
        return list(result)


async def test_each_event_is_stored_once_however_often_it_comes(db_url):
    await migrate(db_url, "acd")
    assert await schema_diff(db_url, Base.metadata) == []
    engine = make_engine(db_url)
    try:
        at = dt.datetime(2026, 12, 4, 18, 0, tzinfo=dt.UTC)
        events = [CallEvent("answered", "care", f"c{n}", "a1", wait_s=n / 10, at=at) for n in range(5)]
        events.append(CallEvent(AGENT, agent_id="a1", at=at, busy_s=1.5, handled=1))
        rows = _rows(events)
        writer = CallEventWriter(engine)
        await writer.write([rows[:3], rows[:1]])  # the same event twice in one batch (two messages)
        await writer.write([rows[:4], rows[4:]])  # a redelivery of the first three, with three new ones
        await writer.write([rows[2:]])  # a republish past JetStream's dedupe window
        stored = await _stored(engine)
        assert sorted(r[0] for r in stored) == sorted(r["event_id"] for r in rows)
        assert (writer.stored, writer.duplicates) == (6, 3 + 4)
        async with engine.connect() as conn:
            assert await conn.scalar(select(func.count()).select_from(CallEventRow)) == 6
        by_id = {r[0]: r for r in stored}
        first = by_id[rows[1]["event_id"]]
        assert (first[1], first[2]) == ("answered", 0.1)
        assert first[3].replace(tzinfo=first[3].tzinfo or dt.UTC) == at
    finally:
        await engine.dispose()


async def test_a_database_keeps_one_call_log_id_whoever_asks_first(db_url):
    await migrate(db_url, "acd")
    engines = [make_engine(db_url) for _ in range(3)]
    try:
        ids = await asyncio.gather(*(call_log_id(e) for e in engines))
        assert len(set(ids)) == 1 and ids[0].isalnum()
        assert await call_log_id(engines[0]) == ids[0]
    finally:
        for engine in engines:
            await engine.dispose()

"""Storage mechanics on SQLite files and (with CARELINE_TEST_PG_URL) PostgreSQL — design §5."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from sqlalchemy import func, inspect, select, text

from careline.core.bus import AlreadyProcessed
from careline.core.db import claim_event, make_engine, migrate, session_factory
from tests.integration.core.example_svc.models import Ticket, TicketComment, processed_events

EXAMPLE_MIGRATIONS = Path(__file__).parent / "example_svc" / "migrations"


async def _migrated(db_url: str):
    await migrate(db_url, "example", script_location=EXAMPLE_MIGRATIONS)
    return make_engine(db_url)


async def test_migrate_creates_tables_and_is_idempotent(db_url: str) -> None:
    await migrate(db_url, "example", script_location=EXAMPLE_MIGRATIONS)
    await migrate(db_url, "example", script_location=EXAMPLE_MIGRATIONS)  # already at head: no-op
    engine = make_engine(db_url)
    try:
        async with engine.connect() as conn:
            tables = await conn.run_sync(lambda c: set(inspect(c).get_table_names()))
            version = await conn.scalar(text("SELECT version_num FROM alembic_version_example"))
        assert {"ticket", "ticket_comment", "processed_events", "alembic_version_example"} <= tables
        assert version == "0001"
    finally:
        await engine.dispose()


async def test_400_concurrent_commits_all_land(db_url: str) -> None:
    """Design §5: in-memory SQLite with a static pool lost 342 of 400; a file with WAL loses none."""
    engine = await _migrated(db_url)
    sessions = session_factory(engine)

    async def commit_one(i: int) -> None:
        async with sessions.begin() as session:
            session.add(Ticket(call_uuid=f"call-{i}", note=str(i)))

    try:
        await asyncio.gather(*(commit_one(i) for i in range(400)))
        async with sessions() as session:
            assert await session.scalar(select(func.count()).select_from(Ticket)) == 400
            notes = set((await session.scalars(select(Ticket.note))).all())
        assert notes == {str(i) for i in range(400)}
    finally:
        await engine.dispose()


async def test_concurrent_read_modify_write_transactions_do_not_fail(db_url: str) -> None:
    """Read-then-write transactions racing: none fails with 'database is locked' (BEGIN IMMEDIATE)."""
    engine = await _migrated(db_url)
    sessions = session_factory(engine)
    async with sessions.begin() as session:
        session.add(Ticket(id=1, call_uuid="c", note="0"))

    async def increment() -> None:
        async with sessions.begin() as session:
            ticket = await session.get(Ticket, 1, with_for_update=True)
            ticket.note = str(int(ticket.note) + 1)

    try:
        await asyncio.gather(*(increment() for _ in range(50)))
        async with sessions() as session:
            assert (await session.get(Ticket, 1)).note == "50"
    finally:
        await engine.dispose()


async def test_foreign_keys_are_enforced(db_url: str) -> None:
    from sqlalchemy.exc import IntegrityError

    engine = await _migrated(db_url)
    sessions = session_factory(engine)
    try:
        with pytest.raises(IntegrityError):
            async with sessions.begin() as session:
                session.add(TicketComment(ticket_id=999, text="orphan"))
    finally:
        await engine.dispose()


async def test_claim_event_makes_a_handler_idempotent(db_url: str) -> None:
    engine = await _migrated(db_url)
    sessions = session_factory(engine)

    async def handle(event_id: str) -> None:
        async with sessions.begin() as session:
            await claim_event(session, processed_events, "writer", event_id)
            session.add(Ticket(call_uuid=event_id))

    try:
        await handle("e1")
        with pytest.raises(AlreadyProcessed):
            await handle("e1")
        await handle("e2")
        async with sessions() as session:
            assert await session.scalar(select(func.count()).select_from(Ticket)) == 2
    finally:
        await engine.dispose()


async def test_sqlite_pragmas_are_set(tmp_path) -> None:
    from careline.core.db import sqlite_url

    engine = make_engine(sqlite_url(tmp_path / "p" / "svc.db"))  # parent folder is created
    try:
        async with engine.connect() as conn:
            values = [
                (await conn.exec_driver_sql(f"PRAGMA {name}")).scalar()
                for name in ("journal_mode", "busy_timeout", "foreign_keys", "synchronous")
            ]
        assert values == ["wal", 5000, 1, 1]  # synchronous NORMAL = 1
    finally:
        await engine.dispose()


@pytest.mark.parametrize(
    "url",
    [
        "sqlite+aiosqlite://",
        "sqlite+aiosqlite:///:memory:",
        "sqlite+aiosqlite:///file:x?mode=memory&uri=true",
    ],
)
def test_in_memory_sqlite_is_refused(url: str) -> None:
    with pytest.raises(ValueError, match="in-memory"):
        make_engine(url)


async def test_migrations_match_models(db_url: str) -> None:
    from careline.core.db import schema_diff
    from tests.integration.core.example_svc.models import Base

    await migrate(db_url, "example", script_location=EXAMPLE_MIGRATIONS)
    assert await schema_diff(db_url, Base.metadata) == []


async def test_schema_diff_sees_a_model_without_migration(db_url: str) -> None:
    from sqlalchemy import Column, Integer, Table

    from careline.core.db import new_metadata, schema_diff

    await migrate(db_url, "example", script_location=EXAMPLE_MIGRATIONS)
    extra = new_metadata()
    Table("not_migrated", extra, Column("id", Integer, primary_key=True))
    diff = await schema_diff(db_url, extra)
    assert ("add_table", "not_migrated") in [(d[0], d[1].name) for d in diff if d[0] == "add_table"]


def test_plain_alembic_command_runs_with_the_async_engine(tmp_path) -> None:
    """`alembic upgrade head` / `current` from a shell work too (same version table as migrate())."""
    import subprocess
    import sys

    from careline.core.db import sqlite_url

    ini = tmp_path / "alembic.ini"
    ini.write_text(f"[alembic]\nscript_location = {EXAMPLE_MIGRATIONS}\n")
    url = sqlite_url(tmp_path / "cli.db")
    root = Path(__file__).resolve().parents[3]
    base = [sys.executable, "-m", "alembic", "-c", str(ini), "-x", f"url={url}", "-x", "service=example"]
    subprocess.run([*base, "upgrade", "head"], check=True, cwd=root, capture_output=True)
    current = subprocess.run([*base, "current"], check=True, cwd=root, capture_output=True, text=True)
    assert "0001 (head)" in current.stdout

"""careline storage mechanics (design §5): engines, sessions, per-service metadata and migrations.

Public surface:
    make_engine(url, *, sqlite_begin="BEGIN IMMEDIATE", **kw) -> AsyncEngine
    session_factory(engine) -> async_sessionmaker[AsyncSession]
    new_metadata() -> MetaData, sqlite_url(path) -> str, SQLITE_PRAGMAS
    await migrate(url, service, metadata=None, *, script_location=None, revision="head")
    migrate_sync(...same...), alembic_config(url, service, script_location=None)
    await schema_diff(url, metadata) -> list  (empty when migrations match the models)
    processed_events_table(metadata), await claim_event(session, table, consumer, event_id)
    await retry_locked(unit, attempts=6) (re-run an idempotent unit SQLite refused as locked)
env.py helper: careline.core.db.alembic_env.run_migrations(metadata)
"""

from careline.core.db._engine import (
    NAMING_CONVENTION,
    SQLITE_PRAGMAS,
    make_engine,
    new_metadata,
    session_factory,
    sqlite_url,
)
from careline.core.db._migrate import alembic_config, migrate, migrate_sync, schema_diff, service_migrations
from careline.core.db._retry import is_lock_error, retry_locked
from careline.core.db.inbox import claim_event, processed_events_table

__all__ = [
    "NAMING_CONVENTION",
    "SQLITE_PRAGMAS",
    "alembic_config",
    "claim_event",
    "make_engine",
    "migrate",
    "migrate_sync",
    "new_metadata",
    "is_lock_error",
    "processed_events_table",
    "retry_locked",
    "schema_diff",
    "service_migrations",
    "session_factory",
    "sqlite_url",
]

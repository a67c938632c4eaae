"""The body of every service's migrations/env.py (design §5), so each env.py is three lines::

    from careline.core.db.alembic_env import run_migrations
    from careline.<svc>.models import Base

    run_migrations(Base.metadata)

Works with `careline.core.db.migrate(...)` and with the plain `alembic` command (give it
`-x url=...` or set sqlalchemy.url; the version table is `alembic_version_<svc>`, <svc> from
`-x service=...` or the folder holding migrations/). Online migrations use the async engine from
make_engine, so SQLite gets the same pragmas as the service; SQLite uses batch mode for ALTERs.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

from alembic import context
from sqlalchemy import MetaData
from sqlalchemy.engine import Connection
from sqlalchemy.pool import NullPool

from careline.core.db._engine import make_engine


def run_migrations(metadata: MetaData) -> None:
    config = context.config
    x_args = context.get_x_argument(as_dictionary=True)
    url = x_args.get("url") or config.get_main_option("sqlalchemy.url")
    if not url:
        raise RuntimeError("no database URL: set sqlalchemy.url or pass -x url=...")
    service = _service_name(x_args, config)
    options = {
        "target_metadata": metadata,
        "version_table": f"alembic_version_{service}" if service else "alembic_version",
        "render_as_batch": url.startswith("sqlite"),
        "compare_type": True,
    }
    if context.is_offline_mode():
        context.configure(url=url, literal_binds=True, **options)
        with context.begin_transaction():
            context.run_migrations()
        return
    asyncio.run(_run_online(url, options))


def _service_name(x_args: dict, config) -> str:
    """-x service=..., else the name migrate() set, else the folder holding migrations/ (services/<svc>/)."""
    explicit = x_args.get("service") or config.get_main_option("careline_service")
    if explicit:
        return explicit
    return Path(config.get_main_option("script_location")).resolve().parent.name


async def _run_online(url: str, options: dict) -> None:
    engine = make_engine(url, poolclass=NullPool)
    try:
        async with engine.connect() as connection:
            await connection.run_sync(_run_on, options)
    finally:
        await engine.dispose()


def _run_on(connection: Connection, options: dict) -> None:
    # SQLite's DDL is transactional once the driver stops managing BEGIN (see _engine): a failed
    # migration leaves no half-applied schema.
    context.configure(connection=connection, transactional_ddl=True, **options)
    with context.begin_transaction():
        context.run_migrations()
    if connection.in_transaction():
        connection.commit()

"""Run a service's Alembic migrations programmatically (design §5: each service owns its tables).

Layout of a service::

    services/<svc>/migrations/env.py         # 3 lines: see careline.core.db.alembic_env
    services/<svc>/migrations/script.py.mako # copy of tests/integration/core/example_svc/migrations/
    services/<svc>/migrations/versions/*.py

Each service records its revision in its own version table, `alembic_version_<svc>`, so several
services may share one PostgreSQL database without stepping on each other's history.
"""

from __future__ import annotations

import asyncio
import importlib.util
import logging
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import MetaData

log = logging.getLogger(__name__)


def service_migrations(service: str) -> Path:
    """`services/<svc>/migrations` of the installed careline package (may not exist)."""
    spec = importlib.util.find_spec(f"careline.{service}")
    if spec is None or not spec.submodule_search_locations:
        raise LookupError(f"no service package careline.{service}")
    return Path(next(iter(spec.submodule_search_locations))) / "migrations"


def alembic_config(url: str, service: str, script_location: str | Path | None = None) -> Config:
    """An Alembic Config with no ini file, for `command.*` (and `careline db ...` in the CLI)."""
    location = Path(script_location) if script_location else service_migrations(service)
    config = Config()
    config.set_main_option("script_location", str(location))
    config.set_main_option("sqlalchemy.url", str(url).replace("%", "%%"))  # ini interpolation
    config.set_main_option("careline_service", service)
    return config


def migrate_sync(
    url: str,
    service: str,
    metadata: MetaData | None = None,
    *,
    script_location: str | Path | None = None,
    revision: str = "head",
) -> None:
    """`alembic upgrade <revision>` for the service. Must not run on a thread with a running event loop.

    Without a migrations folder: create_all(metadata) when metadata is given (prototypes), else nothing.
    """
    location = Path(script_location) if script_location else service_migrations(service)
    if not (location / "env.py").exists():
        if metadata is None:
            log.warning("%s: no migrations at %s; nothing to migrate", service, location)
            return
        asyncio.run(_create_all(url, metadata))
        return
    command.upgrade(alembic_config(url, service, location), revision)


async def migrate(
    url: str,
    service: str,
    metadata: MetaData | None = None,
    *,
    script_location: str | Path | None = None,
    revision: str = "head",
) -> None:
    """Async form of migrate_sync: runs Alembic on a worker thread (env.py starts its own loop there)."""
    await asyncio.to_thread(
        migrate_sync, url, service, metadata, script_location=script_location, revision=revision
    )


async def _create_all(url: str, metadata: MetaData) -> None:
    from sqlalchemy.pool import NullPool

    from careline.core.db._engine import make_engine

    engine = make_engine(url, poolclass=NullPool)
    try:
        async with engine.begin() as conn:
            await conn.run_sync(metadata.create_all)
    finally:
        await engine.dispose()


async def schema_diff(url: str, metadata: MetaData) -> list:
    """Differences between the migrated database and the models (empty = migrations match models).

    Services use it in a test so a model change without a migration fails CI.
    """
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext
    from sqlalchemy.pool import NullPool

    from careline.core.db._engine import make_engine

    def include_name(name: str | None, type_: str, _parent: object) -> bool:
        return not (type_ == "table" and name is not None and name.startswith("alembic_version"))

    def compare(connection) -> list:
        context = MigrationContext.configure(
            connection, opts={"compare_type": True, "include_name": include_name}
        )
        return compare_metadata(context, metadata)

    engine = make_engine(url, poolclass=NullPool)
    try:
        async with engine.connect() as conn:
            return await conn.run_sync(compare)
    finally:
        await engine.dispose()

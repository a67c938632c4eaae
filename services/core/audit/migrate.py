"""Migrating the audit log (design §5): its own Alembic history, version table ``alembic_version_audit``."""

from __future__ import annotations

from pathlib import Path

from careline.core import db

MIGRATIONS = Path(__file__).resolve().parent / "migrations"


async def migrate_audit(url: str, revision: str = "head") -> None:
    await db.migrate(url, "audit", script_location=MIGRATIONS, revision=revision)

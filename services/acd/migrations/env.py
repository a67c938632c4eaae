"""Alembic environment of the ACD's tables (design §5)."""

from careline.acd.models import Base
from careline.core.db.alembic_env import run_migrations

run_migrations(Base.metadata)

"""Alembic environment of careline.core.auth (design §5); the body is in careline.core.db.alembic_env."""

from careline.core.auth.models import Base
from careline.core.db.alembic_env import run_migrations

run_migrations(Base.metadata)

"""Alembic environment of careline.core.audit (design §5); the body is in careline.core.db.alembic_env."""

from careline.core.audit.models import Base
from careline.core.db.alembic_env import run_migrations

run_migrations(Base.metadata)

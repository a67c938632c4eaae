"""Alembic environment of careline.cdr (design §5); the body is shared in careline.core.db.alembic_env."""

from careline.cdr.models import Base
from careline.core.db.alembic_env import run_migrations

run_migrations(Base.metadata)

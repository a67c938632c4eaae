"""Alembic environment of careline.ivr (design §5); the body is shared in careline.core.db.alembic_env."""

from careline.core.db.alembic_env import run_migrations
from careline.ivr.models import Base

run_migrations(Base.metadata)

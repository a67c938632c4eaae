"""Alembic environment of careline.billing (design §5); the body is shared in careline.core.db.alembic_env."""

from careline.billing.models import Base
from careline.core.db.alembic_env import run_migrations

run_migrations(Base.metadata)

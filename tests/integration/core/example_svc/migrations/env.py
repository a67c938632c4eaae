from careline.core.db.alembic_env import run_migrations
from tests.integration.core.example_svc.models import Base

run_migrations(Base.metadata)

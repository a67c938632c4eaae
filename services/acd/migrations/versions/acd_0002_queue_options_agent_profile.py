"""queue options (strategy, wrap-up, overflow…) and agent profiles (skills, queues, expert) (R-ACD1, R-ACD7)

Revision ID: acd_0002
Revises: acd_0001
"""

import sqlalchemy as sa
from alembic import op

revision = "acd_0002"
down_revision = "acd_0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("acd_queues") as batch:
        batch.add_column(sa.Column("options", sa.Text(), nullable=False, server_default="{}"))
    with op.batch_alter_table("acd_agents") as batch:
        batch.add_column(sa.Column("profile", sa.Text(), nullable=False, server_default="{}"))


def downgrade() -> None:
    with op.batch_alter_table("acd_agents") as batch:
        batch.drop_column("profile")
    with op.batch_alter_table("acd_queues") as batch:
        batch.drop_column("options")

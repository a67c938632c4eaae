"""agents and the queue (R-ACD1, R-ADM1)

Revision ID: acd_0001
Revises:
"""

import sqlalchemy as sa
from alembic import op

revision = "acd_0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "acd_agents",
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("name", sa.String(128), nullable=False),
        sa.Column("extension", sa.String(32), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("extension", name="uq_acd_agents_extension"),
    )
    op.create_table(
        "acd_queues",
        sa.Column("name", sa.String(64), primary_key=True),
        sa.Column("music_on_hold", sa.String(256), nullable=False),
        sa.Column("no_answer_timeout_s", sa.Integer(), nullable=False),
        sa.Column("max_wait_s", sa.Integer(), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("acd_queues")
    op.drop_table("acd_agents")

"""statistics facts per queue and agent (R-STAT1, R-ACD6)

Revision ID: acd_0003
Revises: acd_0002
"""

import sqlalchemy as sa
from alembic import op

revision = "acd_0003"
down_revision = "acd_0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "acd_call_events",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("queue", sa.String(64), nullable=False),
        sa.Column("agent_id", sa.String(64), nullable=False),
        sa.Column("call_uuid", sa.String(64), nullable=False),
        *[sa.Column(n, sa.Float(), nullable=False) for n in ("wait_s", "talk_s", "hold_s", "wrap_s")],
        *[sa.Column(n, sa.Float(), nullable=False) for n in ("busy_s", "idle_s")],
        sa.Column("handled", sa.Integer(), nullable=False),
        sa.Column("missed", sa.Integer(), nullable=False),
    )
    op.create_index("ix_acd_call_events_at", "acd_call_events", ["at"])


def downgrade() -> None:
    op.drop_index("ix_acd_call_events_at", "acd_call_events")
    op.drop_table("acd_call_events")

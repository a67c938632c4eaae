"""call events made durable on JetStream before the database (issue 15, R-STAT1): each row carries the
id the call log gave the event (unique: a replay inserts nothing), and the database its call log id

Revision ID: acd_0004
Revises: acd_0003
"""

import sqlalchemy as sa
from alembic import op

revision = "acd_0004"
down_revision = "acd_0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("acd_call_events", sa.Column("event_id", sa.String(36), nullable=True))
    op.create_index("ix_acd_call_events_event_id", "acd_call_events", ["event_id"], unique=True)
    op.create_table(
        "acd_call_log_meta",
        sa.Column("key", sa.String(32), nullable=False),
        sa.Column("value", sa.String(64), nullable=False),
        sa.PrimaryKeyConstraint("key", name="pk_acd_call_log_meta"),
    )


def downgrade() -> None:
    op.drop_table("acd_call_log_meta")
    op.drop_index("ix_acd_call_events_event_id", "acd_call_events")
    with op.batch_alter_table("acd_call_events") as batch:
        batch.drop_column("event_id")

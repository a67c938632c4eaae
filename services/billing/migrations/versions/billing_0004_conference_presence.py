"""conferences: members' joins and leaves (seats, expert presence) persisted (R-EXP6, R-EXP3)

Billing kept conference presence in one process's memory: a restart, or a CDR handled by another
replica, released a seat's hold without charging the time spent with the expert. The joins and leaves
now live here, written idempotently by every replica from conference::maintenance events.

Revision ID: billing_0004
Revises: billing_0003
"""

import sqlalchemy as sa
from alembic import op

revision = "billing_0004"
down_revision = "billing_0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "billing_conference_events",
        sa.Column("key", sa.String(200), primary_key=True),
        sa.Column("conference", sa.String(100), nullable=False),
        sa.Column("call_uuid", sa.String(64), nullable=False),
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("action", sa.String(16), nullable=False),
        sa.Column("at_us", sa.BigInteger(), nullable=False),
        sa.Column("sequence", sa.BigInteger(), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
    )
    op.create_index(
        "ix_billing_conference_events_conference_at", "billing_conference_events", ["conference", "at_us"]
    )
    op.create_index("ix_billing_conference_events_call_uuid", "billing_conference_events", ["call_uuid"])


def downgrade() -> None:
    op.drop_table("billing_conference_events")

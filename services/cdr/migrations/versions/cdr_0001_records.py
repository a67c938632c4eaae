"""call detail records, one row per leg (R-CDR1)

Revision ID: cdr_0001
Revises:
"""

import sqlalchemy as sa
from alembic import op

revision = "cdr_0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "cdr_records",
        sa.Column("uuid", sa.String(64), primary_key=True),
        sa.Column("call_id", sa.String(64), nullable=False),
        sa.Column("other_leg_uuid", sa.String(64), nullable=True),
        sa.Column("direction", sa.String(16), nullable=False),
        sa.Column("caller_number", sa.String(64), nullable=False),
        sa.Column("destination_number", sa.String(64), nullable=False),
        sa.Column("queue", sa.String(64), nullable=True),
        sa.Column("agent", sa.String(64), nullable=True),
        sa.Column("start_us", sa.BigInteger(), nullable=False),
        sa.Column("answer_us", sa.BigInteger(), nullable=True),
        sa.Column("end_us", sa.BigInteger(), nullable=False),
        sa.Column("duration", sa.Integer(), nullable=False),
        sa.Column("billsec", sa.Integer(), nullable=False),
        sa.Column("waitsec", sa.Integer(), nullable=False),
        sa.Column("hangup_cause", sa.String(64), nullable=False),
        sa.Column("recording_path", sa.String(512), nullable=True),
        sa.Column("node", sa.String(128), nullable=True),
        sa.Column("published", sa.Boolean(), nullable=False),
    )
    op.create_index("ix_cdr_records_start", "cdr_records", ["start_us", "uuid"])
    op.create_index("ix_cdr_records_call_id", "cdr_records", ["call_id"])
    op.create_index("ix_cdr_records_caller", "cdr_records", ["caller_number"])
    op.create_index("ix_cdr_records_destination", "cdr_records", ["destination_number"])
    op.create_index("ix_cdr_records_queue", "cdr_records", ["queue"])
    op.create_index("ix_cdr_records_agent", "cdr_records", ["agent"])


def downgrade() -> None:
    op.drop_table("cdr_records")

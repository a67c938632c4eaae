"""formal (paid) registrations: the saga's state (R-REG4, R-REG5, R-REG6)

Revision ID: billing_0002
Revises: billing_0001
"""

import sqlalchemy as sa
from alembic import op

revision = "billing_0002"
down_revision = "billing_0001"
branch_labels = None
depends_on = None

NOW = sa.func.now()


def upgrade() -> None:
    s = sa.String
    op.create_table(
        "billing_registrations",
        sa.Column("id", s(36), primary_key=True),
        sa.Column("idempotency_key", s(200), nullable=False),
        sa.Column("request_hash", s(64), nullable=False),
        sa.Column("channel", s(8), nullable=False),
        sa.Column("card_number", s(32), nullable=False),
        sa.Column("patient_id", s(64), nullable=False),
        sa.Column("department_code", s(8), nullable=False),
        sa.Column("requested_slot_id", s(36), nullable=False),
        sa.Column("requested_day", s(10), nullable=False),
        sa.Column("requested_start", s(5), nullable=False),
        sa.Column("expert_number", sa.Integer(), nullable=False),
        sa.Column("call_uuid", s(64), nullable=False),
        sa.Column("fee_fen", sa.BigInteger(), nullable=False),
        sa.Column("state", s(16), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("lease_until", sa.DateTime(timezone=True), nullable=False),
        sa.Column("failure_status", sa.Integer(), nullable=False),
        sa.Column("failure_reason", sa.Text(), nullable=False),
        sa.Column("appointment_id", s(36), nullable=False),
        sa.Column("confirmation_code", s(8), nullable=False),
        sa.Column("slot_id", s(36), nullable=False),
        sa.Column("department_name", s(64), nullable=False),
        sa.Column("expert_name", s(64), nullable=False),
        sa.Column("patient_name", s(64), nullable=False),
        sa.Column("starts_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("ends_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("local_day", sa.Date(), nullable=True),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("charge_transaction_id", s(36), nullable=False),
        sa.Column("refund_transaction_id", s(36), nullable=False),
        sa.Column("checked_in_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=NOW, nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=NOW, nullable=False),
        sa.UniqueConstraint("idempotency_key", name="uq_billing_registrations_idempotency_key"),
    )
    op.create_index("ix_billing_registrations_card_number", "billing_registrations", ["card_number"])
    op.create_index("ix_billing_registrations_local_day", "billing_registrations", ["local_day"])
    op.create_index(
        "ix_billing_registrations_state_expires", "billing_registrations", ["state", "expires_at"]
    )


def downgrade() -> None:
    op.drop_table("billing_registrations")

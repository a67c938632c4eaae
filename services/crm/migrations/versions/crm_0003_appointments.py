"""free appointments (R-REG1, R-REG2, R-REG3)

Revision ID: crm_0003
Revises: crm_0002
"""

import sqlalchemy as sa
from alembic import op

revision = "crm_0003"
down_revision = "crm_0002"
branch_labels = None
depends_on = None

_TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "crm_appointments",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("confirmation_code", sa.String(8), nullable=False),
        sa.Column("channel", sa.String(8), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column(
            "patient_id", sa.String(36), sa.ForeignKey("crm_patients.id", ondelete="SET NULL"), nullable=True
        ),
        sa.Column("caller_name", sa.String(64), nullable=False),
        sa.Column("caller_phone", sa.String(16), nullable=False),
        sa.Column("card_number", sa.String(32), nullable=False),
        sa.Column("department_id", sa.String(36), sa.ForeignKey("crm_departments.id"), nullable=True),
        sa.Column(
            "slot_id", sa.String(36), sa.ForeignKey("crm_slots.id", ondelete="SET NULL"), nullable=True
        ),
        sa.Column("intended_at", _TS, nullable=False),
        sa.Column("expires_at", _TS, nullable=False),
        sa.Column("call_uuid", sa.String(64), nullable=False),
        sa.Column("agent_id", sa.String(64), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("created_at", _TS, nullable=False),
        sa.Column("updated_at", _TS, nullable=False),
        sa.UniqueConstraint("confirmation_code", name="uq_crm_appointments_confirmation_code"),
    )
    for column in ("status", "patient_id", "department_id", "slot_id", "expires_at"):
        op.create_index(f"ix_crm_appointments_{column}", "crm_appointments", [column])


def downgrade() -> None:
    op.drop_table("crm_appointments")

"""complaints (R-CMP1)

Revision ID: crm_0005
Revises: crm_0004
"""

import sqlalchemy as sa
from alembic import op

revision = "crm_0005"
down_revision = "crm_0004"
branch_labels = None
depends_on = None

_TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "crm_complaints",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("reference", sa.String(8), nullable=False),
        sa.Column("channel", sa.String(8), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("department_id", sa.String(36), sa.ForeignKey("crm_departments.id"), nullable=True),
        sa.Column("staff_id", sa.String(36), sa.ForeignKey("crm_staff.id"), nullable=True),
        sa.Column(
            "patient_id", sa.String(36), sa.ForeignKey("crm_patients.id", ondelete="SET NULL"), nullable=True
        ),
        sa.Column("caller_phone", sa.String(16), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("voice_message_path", sa.String(512), nullable=False),
        sa.Column("call_uuid", sa.String(64), nullable=False),
        sa.Column("cdr_id", sa.String(64), nullable=False),
        sa.Column("recording_id", sa.String(512), nullable=False),
        sa.Column("assignee", sa.String(64), nullable=False),
        sa.Column("resolution", sa.Text(), nullable=False),
        sa.Column("due_at", _TS, nullable=False),
        sa.Column("escalation_level", sa.Integer(), nullable=False),
        sa.Column("escalated_at", _TS, nullable=True),
        sa.Column("created_at", _TS, nullable=False),
        sa.Column("updated_at", _TS, nullable=False),
        sa.Column("resolved_at", _TS, nullable=True),
        sa.Column("closed_at", _TS, nullable=True),
        sa.UniqueConstraint("reference", name="uq_crm_complaints_reference"),
    )
    for column in ("status", "department_id", "staff_id", "patient_id", "call_uuid", "due_at"):
        op.create_index(f"ix_crm_complaints_{column}", "crm_complaints", [column])


def downgrade() -> None:
    op.drop_table("crm_complaints")

"""interaction history (calls from CDR facts, notes) and the audit log (R-CRM1, R-HUM1)

Revision ID: crm_0006
Revises: crm_0005
"""

import sqlalchemy as sa
from alembic import op

revision = "crm_0006"
down_revision = "crm_0005"
branch_labels = None
depends_on = None

_TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "crm_calls",
        sa.Column("leg_uuid", sa.String(64), primary_key=True),
        sa.Column("call_uuid", sa.String(64), nullable=False),
        sa.Column("direction", sa.String(8), nullable=False),
        sa.Column("caller_number", sa.String(40), nullable=False),
        sa.Column("callee_number", sa.String(40), nullable=False),
        sa.Column("number", sa.String(16), nullable=True),
        sa.Column("queue", sa.String(64), nullable=False),
        sa.Column("agent_id", sa.String(64), nullable=False),
        sa.Column("started_at", _TS, nullable=False),
        sa.Column("answered_at", _TS, nullable=True),
        sa.Column("ended_at", _TS, nullable=False),
        sa.Column("billsec", sa.Integer(), nullable=False),
        sa.Column("hangup_cause", sa.String(64), nullable=False),
        sa.Column("recording_id", sa.String(512), nullable=False),
    )
    op.create_index("ix_crm_calls_call_uuid", "crm_calls", ["call_uuid"])
    op.create_index("ix_crm_calls_number", "crm_calls", ["number"])
    op.create_table(
        "crm_notes",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column(
            "patient_id", sa.String(36), sa.ForeignKey("crm_patients.id", ondelete="CASCADE"), nullable=False
        ),
        sa.Column("author", sa.String(64), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("call_uuid", sa.String(64), nullable=False),
        sa.Column("created_at", _TS, nullable=False),
    )
    op.create_index("ix_crm_notes_patient_id", "crm_notes", ["patient_id"])
    op.create_table(
        "crm_audit_log",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("at", _TS, nullable=False),
        sa.Column("actor", sa.String(64), nullable=False),
        sa.Column("action", sa.String(64), nullable=False),
        sa.Column("target", sa.String(64), nullable=False),
        sa.Column("outcome", sa.String(16), nullable=False),
        sa.Column("detail", sa.Text(), nullable=False),
    )
    for column in ("at", "actor", "action"):
        op.create_index(f"ix_crm_audit_log_{column}", "crm_audit_log", [column])


def downgrade() -> None:
    op.drop_table("crm_audit_log")
    op.drop_table("crm_notes")
    op.drop_table("crm_calls")

"""hospital directory: departments, staff, experts, schedules and slots (R-ADM3, R-REG2, R-REG3)

Revision ID: crm_0002
Revises: crm_0001
"""

import sqlalchemy as sa
from alembic import op

revision = "crm_0002"
down_revision = "crm_0001"
branch_labels = None
depends_on = None

_TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "crm_departments",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("code", sa.String(8), nullable=False),
        sa.Column("name", sa.String(64), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("updated_at", _TS, nullable=False),
        sa.UniqueConstraint("code", name="uq_crm_departments_code"),
    )
    op.create_table(
        "crm_staff",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("code", sa.String(8), nullable=False),
        sa.Column("name", sa.String(64), nullable=False),
        sa.Column("title", sa.String(64), nullable=False),
        sa.Column("department_id", sa.String(36), sa.ForeignKey("crm_departments.id"), nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("updated_at", _TS, nullable=False),
        sa.UniqueConstraint("code", name="uq_crm_staff_code"),
    )
    op.create_index("ix_crm_staff_department_id", "crm_staff", ["department_id"])
    op.create_table(
        "crm_experts",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(64), nullable=False),
        sa.Column("title", sa.String(64), nullable=False),
        sa.Column("department_id", sa.String(36), sa.ForeignKey("crm_departments.id"), nullable=False),
        sa.Column("introduction", sa.Text(), nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("updated_at", _TS, nullable=False),
        sa.UniqueConstraint("number", name="uq_crm_experts_number"),
    )
    op.create_index("ix_crm_experts_department_id", "crm_experts", ["department_id"])
    op.create_table(
        "crm_schedules",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("department_id", sa.String(36), sa.ForeignKey("crm_departments.id"), nullable=False),
        sa.Column("expert_id", sa.String(36), sa.ForeignKey("crm_experts.id"), nullable=True),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("note", sa.String(128), nullable=False),
    )
    op.create_index("ix_crm_schedules_department_id", "crm_schedules", ["department_id"])
    op.create_index("ix_crm_schedules_expert_id", "crm_schedules", ["expert_id"])
    op.create_index("ix_crm_schedules_day", "crm_schedules", ["day"])
    op.create_table(
        "crm_slots",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column(
            "schedule_id",
            sa.String(36),
            sa.ForeignKey("crm_schedules.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("starts_at", _TS, nullable=False),
        sa.Column("ends_at", _TS, nullable=False),
        sa.Column("capacity", sa.Integer(), nullable=False),
        sa.Column("booked", sa.Integer(), nullable=False),
        sa.UniqueConstraint("schedule_id", "starts_at", name="uq_crm_slot_per_schedule"),
        sa.CheckConstraint("booked >= 0 AND booked <= capacity", name="ck_crm_slots_seats"),
    )
    op.create_index("ix_crm_slots_schedule_id", "crm_slots", ["schedule_id"])
    op.create_index("ix_crm_slots_starts_at", "crm_slots", ["starts_at"])


def downgrade() -> None:
    op.drop_table("crm_slots")
    op.drop_table("crm_schedules")
    op.drop_table("crm_experts")
    op.drop_table("crm_staff")
    op.drop_table("crm_departments")

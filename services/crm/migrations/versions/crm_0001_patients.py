"""patients, their cards and phone numbers (R-CRM1, R-CRM2)

Revision ID: crm_0001
Revises:
"""

import sqlalchemy as sa
from alembic import op

revision = "crm_0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "crm_patients",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("name", sa.String(64), nullable=False),
        sa.Column("id_number", sa.String(18), nullable=True),
        sa.Column("vip", sa.Boolean(), nullable=False),
        sa.Column("vip_level", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("id_number", name="uq_crm_patients_id_number"),
    )
    op.create_index("ix_crm_patients_name", "crm_patients", ["name"])
    op.create_table(
        "crm_patient_cards",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column(
            "patient_id", sa.String(36), sa.ForeignKey("crm_patients.id", ondelete="CASCADE"), nullable=False
        ),
        sa.Column("card_number", sa.String(32), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.UniqueConstraint("card_number", name="uq_crm_patient_cards_card_number"),
    )
    op.create_index("ix_crm_patient_cards_patient_id", "crm_patient_cards", ["patient_id"])
    op.create_table(
        "crm_patient_phones",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column(
            "patient_id", sa.String(36), sa.ForeignKey("crm_patients.id", ondelete="CASCADE"), nullable=False
        ),
        sa.Column("number", sa.String(16), nullable=False),
        sa.Column("raw", sa.String(40), nullable=False),
        sa.Column("label", sa.String(32), nullable=False),
        sa.Column("owner", sa.String(8), nullable=False),
        sa.Column("primary", sa.Boolean(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.UniqueConstraint("patient_id", "number", name="uq_crm_phone_per_patient"),
    )
    op.create_index("ix_crm_patient_phones_patient_id", "crm_patient_phones", ["patient_id"])
    op.create_index("ix_crm_patient_phones_number", "crm_patient_phones", ["number"])


def downgrade() -> None:
    op.drop_table("crm_patient_phones")
    op.drop_table("crm_patient_cards")
    op.drop_table("crm_patients")

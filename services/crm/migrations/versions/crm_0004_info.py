"""information content (R-INFO1)

Revision ID: crm_0004
Revises: crm_0003
"""

import sqlalchemy as sa
from alembic import op

revision = "crm_0004"
down_revision = "crm_0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "crm_info_items",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(128), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("sponsor", sa.String(128), nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("kind", "number", name="uq_crm_info_kind_number"),
    )
    op.create_index("ix_crm_info_items_kind", "crm_info_items", ["kind"])


def downgrade() -> None:
    op.drop_table("crm_info_items")

"""flows with versions and publications, dialled numbers, prompts (R-IVR4, R-ADM4)

Revision ID: ivr_0001
Revises:
"""

import sqlalchemy as sa
from alembic import op

revision = "ivr_0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "ivr_flows",
        sa.Column("name", sa.String(64), primary_key=True),
        sa.Column("description", sa.String(500), nullable=False),
        sa.Column("published_version", sa.Integer(), nullable=True),
        sa.Column("created_us", sa.BigInteger(), nullable=False),
    )
    op.create_table(
        "ivr_flow_versions",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("flow", sa.String(64), sa.ForeignKey("ivr_flows.name"), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("definition", sa.Text(), nullable=False),
        sa.Column("comment", sa.String(500), nullable=False),
        sa.Column("created_us", sa.BigInteger(), nullable=False),
        sa.UniqueConstraint("flow", "version"),
    )
    op.create_table(
        "ivr_publications",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("flow", sa.String(64), sa.ForeignKey("ivr_flows.name"), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("published_us", sa.BigInteger(), nullable=False),
    )
    op.create_table(
        "ivr_numbers",
        sa.Column("number", sa.String(64), primary_key=True),
        sa.Column("flow", sa.String(64), sa.ForeignKey("ivr_flows.name"), nullable=False),
    )
    op.create_table(
        "ivr_prompts",
        sa.Column("name", sa.String(64), primary_key=True),
        sa.Column("language", sa.String(8), primary_key=True),
        sa.Column("kind", sa.String(8), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("path", sa.String(1000), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("updated_us", sa.BigInteger(), nullable=False),
    )


def downgrade() -> None:
    for table in ("ivr_prompts", "ivr_numbers", "ivr_publications", "ivr_flow_versions", "ivr_flows"):
        op.drop_table(table)

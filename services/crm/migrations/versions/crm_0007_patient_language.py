"""patients remember their IVR language (issue 8, design §10)

Revision ID: crm_0007
Revises: crm_0006
"""

import sqlalchemy as sa
from alembic import op

revision = "crm_0007"
down_revision = "crm_0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("crm_patients") as batch:
        batch.add_column(sa.Column("language", sa.String(8), nullable=False, server_default=""))


def downgrade() -> None:
    with op.batch_alter_table("crm_patients") as batch:
        batch.drop_column("language")

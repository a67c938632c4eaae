"""registrations: room for the CRM's slot and appointment ids (PostgreSQL refused 'appt-<uuid>', 41 chars)

Ids that another service issues are not ours to size at 36 characters; SQLite never enforced the
length, so only PostgreSQL showed it.

Revision ID: billing_0003
Revises: billing_0002
"""

import sqlalchemy as sa
from alembic import op

revision = "billing_0003"
down_revision = "billing_0002"
branch_labels = None
depends_on = None

EXTERNAL_IDS = ("requested_slot_id", "appointment_id", "slot_id")


def upgrade() -> None:
    with op.batch_alter_table("billing_registrations") as batch:
        for column in EXTERNAL_IDS:
            batch.alter_column(
                column, type_=sa.String(64), existing_type=sa.String(36), existing_nullable=False
            )


def downgrade() -> None:
    with op.batch_alter_table("billing_registrations") as batch:
        for column in EXTERNAL_IDS:
            batch.alter_column(
                column, type_=sa.String(36), existing_type=sa.String(64), existing_nullable=False
            )

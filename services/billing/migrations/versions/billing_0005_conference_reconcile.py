"""conferences: joins and leaves reconciled against the switch, and how long presence was watched
(R-EXP6, R-EXP3 "a billing outage never gives free minutes")

A member who joined or left while no billing process was connected to the switch left no row: the
seat was billed nothing, or the expert counted as present too long. On start and after every ESL
reconnect billing now lists each room it knows of (``conference <room> list``) and records what it
missed; those rows say ``source = 'reconciled'``. ``billing_conference_watch`` keeps, per room, the
last moment a connected billing process knew the room's members were still there — the time given to
a leave nobody saw.

Revision ID: billing_0005
Revises: billing_0004
"""

import sqlalchemy as sa
from alembic import op

revision = "billing_0005"
down_revision = "billing_0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("billing_conference_events") as batch:
        batch.add_column(sa.Column("source", sa.String(16), server_default="switch", nullable=False))
    op.create_table(
        "billing_conference_watch",
        sa.Column("conference", sa.String(100), primary_key=True),
        sa.Column("observed_us", sa.BigInteger(), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("billing_conference_watch")
    with op.batch_alter_table("billing_conference_events") as batch:
        batch.drop_column("source")

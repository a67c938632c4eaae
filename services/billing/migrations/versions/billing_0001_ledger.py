"""ledger, card accounts, idempotency, audit, rate plans, bank imports; append-only triggers

Revision ID: billing_0001
Revises:
"""

import sqlalchemy as sa
from alembic import op

revision = "billing_0001"
down_revision = None
branch_labels = None
depends_on = None

APPEND_ONLY = ("billing_postings", "billing_transactions", "billing_audit")
AUTO_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
NOW = sa.func.now()
# Frozen copy of careline.billing.ledger.SYSTEM_ACCOUNTS at this revision.
SYSTEM_ACCOUNTS = ("system:cash", "system:bank", "system:revenue", "system:adjustments", "system:holds")


def upgrade() -> None:
    op.create_table(
        "billing_accounts",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("code", sa.String(100), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=NOW, nullable=False),
        sa.UniqueConstraint("code", name="uq_billing_accounts_code"),
    )
    op.create_table(
        "billing_cards",
        sa.Column("card_number", sa.String(32), primary_key=True),
        sa.Column("account_id", sa.String(36), sa.ForeignKey("billing_accounts.id"), nullable=False),
        sa.Column("patient_id", sa.String(64), nullable=False),
        sa.Column("vip_level", sa.Integer(), nullable=False),
        sa.Column("pin_hash", sa.String(256), nullable=False),
        sa.Column("failed_pin_attempts", sa.Integer(), nullable=False),
        sa.Column("locked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=NOW, nullable=False),
        sa.UniqueConstraint("account_id", name="uq_billing_cards_account_id"),
    )
    op.create_index("ix_billing_cards_patient_id", "billing_cards", ["patient_id"])
    op.create_table(
        "billing_transactions",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("idempotency_key", sa.String(200), nullable=False),
        sa.Column("memo", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=NOW, nullable=False),
        sa.UniqueConstraint("idempotency_key", name="uq_billing_transactions_idempotency_key"),
    )
    op.create_table(
        "billing_postings",
        sa.Column("id", AUTO_ID, primary_key=True, autoincrement=True),
        sa.Column("transaction_id", sa.String(36), sa.ForeignKey("billing_transactions.id"), nullable=False),
        sa.Column("account_id", sa.String(36), sa.ForeignKey("billing_accounts.id"), nullable=False),
        sa.Column("amount_fen", sa.BigInteger(), nullable=False),
    )
    op.create_index("ix_billing_postings_account", "billing_postings", ["account_id", "id"])
    op.create_index("ix_billing_postings_transaction_id", "billing_postings", ["transaction_id"])
    op.create_table(
        "billing_idempotency",
        sa.Column("key", sa.String(200), primary_key=True),
        sa.Column("operation", sa.String(50), nullable=False),
        sa.Column("request_hash", sa.String(64), nullable=False),
        sa.Column("status_code", sa.Integer(), nullable=False),
        sa.Column("response", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=NOW, nullable=False),
    )
    op.create_table(
        "billing_audit",
        sa.Column("id", AUTO_ID, primary_key=True, autoincrement=True),
        sa.Column("at", sa.DateTime(timezone=True), server_default=NOW, nullable=False),
        sa.Column("actor", sa.String(100), nullable=False),
        sa.Column("action", sa.String(50), nullable=False),
        sa.Column("subject", sa.String(100), nullable=False),
        sa.Column("detail", sa.Text(), nullable=False),
    )
    op.create_index("ix_billing_audit_subject", "billing_audit", ["subject"])
    op.create_table(
        "billing_rate_plans",
        sa.Column("service", sa.String(50), primary_key=True),
        sa.Column("category", sa.String(50), primary_key=True),
        sa.Column("price_fen", sa.BigInteger(), nullable=False),
        sa.Column("rounding", sa.String(32), nullable=False),
    )
    op.create_table(
        "billing_bank_imports",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("filename", sa.String(255), nullable=False),
        sa.Column("imported_at", sa.DateTime(timezone=True), server_default=NOW, nullable=False),
        sa.Column("lines", sa.Integer(), nullable=False),
        sa.Column("credited", sa.Integer(), nullable=False),
        sa.Column("duplicates", sa.Integer(), nullable=False),
        sa.Column("rejected", sa.Integer(), nullable=False),
        sa.Column("report", sa.Text(), nullable=False),
    )
    # System accounts have fixed ids (= their code), so no request ever races to create one.
    accounts = sa.table("billing_accounts", sa.column("id"), sa.column("code"), sa.column("kind"))
    op.bulk_insert(accounts, [{"id": code, "code": code, "kind": "system"} for code in SYSTEM_ACCOUNTS])
    _install_append_only_guards()


def _install_append_only_guards() -> None:
    """The database itself refuses to rewrite history (design §5), whatever code or console asks."""
    if op.get_bind().dialect.name == "sqlite":
        for table in APPEND_ONLY:
            for verb in ("UPDATE", "DELETE"):
                op.execute(
                    f"CREATE TRIGGER {table}_no_{verb.lower()} BEFORE {verb} ON {table} "
                    f"BEGIN SELECT RAISE(ABORT, '{table} is append-only: {verb} refused'); END"
                )
        return
    op.execute(
        "CREATE FUNCTION billing_refuse_rewrite() RETURNS trigger LANGUAGE plpgsql AS "
        "'BEGIN RAISE EXCEPTION ''% is append-only: % refused'', TG_TABLE_NAME, TG_OP; END'"
    )
    for table in APPEND_ONLY:
        op.execute(
            f"CREATE TRIGGER {table}_no_rewrite BEFORE UPDATE OR DELETE ON {table} "
            "FOR EACH ROW EXECUTE FUNCTION billing_refuse_rewrite()"
        )
        op.execute(
            f"CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table} "
            "FOR EACH STATEMENT EXECUTE FUNCTION billing_refuse_rewrite()"
        )


def downgrade() -> None:
    if op.get_bind().dialect.name != "sqlite":
        op.execute("DROP FUNCTION billing_refuse_rewrite() CASCADE")
    for table in (
        "billing_bank_imports",
        "billing_rate_plans",
        "billing_audit",
        "billing_idempotency",
        "billing_postings",
        "billing_transactions",
        "billing_cards",
        "billing_accounts",
    ):
        op.drop_table(table)

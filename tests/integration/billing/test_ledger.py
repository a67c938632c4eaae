"""The ledger on SQLite and PostgreSQL (R-ACC1, design §5): append-only in the database itself, balanced
transactions, balances from postings, idempotency keys, no overspending under concurrency."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import delete, func, select, text, update
from sqlalchemy.exc import DBAPIError, IntegrityError

from careline.billing import ledger
from careline.billing.errors import IdempotencyMismatch, InsufficientFunds, Unbalanced
from careline.billing.models import AuditEntry, Card, Posting, Transaction
from careline.core.db import schema_diff


async def test_migrations_match_the_models(billing, db_url):
    import careline.billing.registration.models  # noqa: F401  (its tables join Base.metadata on import)
    from careline.billing.models import Base

    assert await schema_diff(db_url, Base.metadata) == []


@pytest.mark.parametrize(
    "statement",
    [
        update(Posting).values(amount_fen=1),
        delete(Posting),
        update(Transaction).values(memo="rewritten"),
        delete(Transaction),
        delete(AuditEntry),
    ],
    ids=["update-postings", "delete-postings", "update-transactions", "delete-transactions", "delete-audit"],
)
async def test_the_database_refuses_to_rewrite_history(billing, sell, statement):
    card = await sell(1000)
    await billing.adjust(key="adj-1", card_number=card, amount_fen=5, reason="goodwill", admin_id="admin1")
    with pytest.raises((IntegrityError, DBAPIError)) as err:
        async with billing.sessions.begin() as session:
            await session.execute(statement)
    assert "append-only" in str(err.value)
    assert (await billing.card_info(card))["balance_fen"] == 1005


async def test_truncate_is_refused_on_postgres(billing, sell, db_url):
    if not db_url.startswith("postgresql"):
        pytest.skip("TRUNCATE is PostgreSQL's")
    await sell(1000)
    with pytest.raises(DBAPIError, match="append-only"):
        async with billing.sessions.begin() as session:
            await session.execute(text("TRUNCATE billing_postings CASCADE"))


async def test_unbalanced_or_float_transactions_are_refused_and_leave_nothing(billing, sell):
    card = await sell(0)
    account = (await billing.card_info(card))["account_id"]
    for legs in ([(ledger.CASH, -100), (account, 99)], [], [(ledger.CASH, -1.5), (account, 1.5)]):
        with pytest.raises(Unbalanced):
            async with billing.sessions.begin() as session:
                await ledger.post(legs, kind="test", key=f"k{legs}", session=session)
    assert (await billing.card_info(card))["balance_fen"] == 0


async def test_every_transaction_sums_to_zero_and_balance_is_the_sum_of_postings(billing, sell):
    card = await sell(1000)
    await billing.adjust(key="a1", card_number=card, amount_fen=-300, reason="typo", admin_id="admin1")
    await billing.charge(key="c1", card_number=card, service="expert_consultation", seconds=61)
    async with billing.sessions() as session:
        sums = await session.execute(select(func.sum(Posting.amount_fen)).group_by(Posting.transaction_id))
        assert {s for (s,) in sums} == {0}
        account = (await session.get(Card, card)).account_id
        assert await ledger.balance(account, session=session) == 1000 - 300 - 400
    assert (await billing.card_info(card))["balance_fen"] == 300


async def test_same_key_twice_has_one_effect_and_the_same_answer(billing, sell):
    card = await sell(1000)
    first = await billing.adjust(key="once", card_number=card, amount_fen=50, reason="r", admin_id="a")
    again = await billing.adjust(key="once", card_number=card, amount_fen=50, reason="r", admin_id="a")
    assert first == again
    assert (await billing.card_info(card))["balance_fen"] == 1050
    assert len(await billing.audit_log(f"card:{card}")) == 1


async def test_same_key_with_different_content_is_refused(billing, sell):
    card = await sell(1000)
    await billing.adjust(key="k", card_number=card, amount_fen=50, reason="r", admin_id="a")
    with pytest.raises(IdempotencyMismatch) as err:
        await billing.adjust(key="k", card_number=card, amount_fen=51, reason="r", admin_id="a")
    assert err.value.status_code == 409
    # Keys are scoped per operation and card (issue 9 §7): another operation's "k" is its own request.
    charged = await billing.charge(key="k", card_number=card, service="registration")
    assert (await billing.card_info(card))["balance_fen"] == 1050 - charged["charge_fen"]


async def test_a_refusal_is_the_answer_of_its_key_too(billing, sell):
    """A replayed billing event must not succeed later just because the balance grew meanwhile."""
    card = await sell(100)
    for _ in range(2):
        with pytest.raises(InsufficientFunds) as err:
            await billing.charge(key="ch", card_number=card, service="expert_consultation", seconds=60)
        assert err.value.status_code == 402
    await billing.adjust(key="top", card_number=card, amount_fen=1000, reason="r", admin_id="a")
    with pytest.raises(InsufficientFunds):
        await billing.charge(key="ch", card_number=card, service="expert_consultation", seconds=60)
    assert (await billing.card_info(card))["balance_fen"] == 1100


async def test_concurrent_same_key_has_one_effect(billing, sell):
    card = await sell(10_000)
    answers = await asyncio.gather(
        *(billing.charge(key="race", card_number=card, service="registration") for _ in range(8))
    )
    assert len({a["transaction_id"] for a in answers}) == 1
    assert (await billing.card_info(card))["balance_fen"] == 10_000 - 500


async def test_many_concurrent_debits_never_overspend(billing, sell):
    """40 debits of 200 fen race on a card holding 1000: exactly 5 succeed, the balance ends at 0."""
    card = await sell(1000)

    async def debit(i: int) -> bool:
        try:
            await billing.charge(key=f"d{i}", card_number=card, service="expert_consultation", seconds=30)
            return True
        except InsufficientFunds:
            return False

    results = await asyncio.gather(*(debit(i) for i in range(40)))
    assert sum(results) == 5
    assert (await billing.card_info(card))["balance_fen"] == 0

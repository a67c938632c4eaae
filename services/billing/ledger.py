"""The double-entry ledger (R-ACC1, design §5): balanced transactions of postings in integer fen.

- ``post`` writes one transaction; its legs must sum to zero (``Unbalanced`` otherwise, nothing stored).
- Card accounts never go below zero: ``post`` locks the card accounts it touches (``SELECT … FOR UPDATE``
  on PostgreSQL, the database write lock taken by ``BEGIN IMMEDIATE`` on SQLite) and checks the balance
  derived from postings *after* the lock, so concurrent debits serialise instead of overspending.
- Balances are sums of postings; nothing else stores money.
- ``run_once`` gives every money-moving call its idempotency: the answer is stored under the key in the
  same database transaction as the effect, so a key has an effect exactly when it has an answer.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from careline.billing.errors import (
    BalanceCeiling,
    DomainError,
    IdempotencyMismatch,
    InsufficientFunds,
    Unbalanced,
)
from careline.billing.models import Account, IdempotencyRecord, Posting, Transaction
from careline.core.ids import uuid7

CASH = "system:cash"  # money paid at a counter (card sale with opening balance)
BANK = "system:bank"  # bank transfers (statement import)
REVENUE = "system:revenue"  # charges for registrations and consultations
ADJUSTMENTS = "system:adjustments"  # manual corrections by an admin
HOLDS = "system:holds"  # funds reserved for a call in progress (authorisation)
SYSTEM_ACCOUNTS = (CASH, BANK, REVENUE, ADJUSTMENTS, HOLDS)

# Refusals that depend on the ledger's state are stored under the key like successes: replaying a
# billing event must give the same answer even after the balance has changed (issue 5: replaying every
# event twice leaves the same ledger). Input errors (unknown card, bad request) are not stored.
STORED_REFUSALS: tuple[type[DomainError], ...] = (InsufficientFunds, BalanceCeiling)
RETRIES_ON_RACE = 3

# A key a client chooses lives in its own namespace, per operation and (where there is one) per card, so it
# can never be a key billing writes itself (``bank:<ref>``, ``consultation-…:``, ``registration:…``) nor
# another operation's or another card's key (issue 9 §7: a 1 fen adjustment keyed ``bank:BANKREF-777``
# made the real bank line a "duplicate"). Internal keys never start with CLIENT.
CLIENT = "client:"
KEY_COLUMN = 200  # billing_transactions.idempotency_key and billing_idempotency.key are String(200)

# Money bounds (issue 9 §7): past SQLite's signed 64-bit INTEGER a sum or an insert fails with a 500, and a
# card sold with 2**63-1 fen could never be credited again. One movement is at most MAX_FEN (10 billion
# yuan) and a card holds at most MAX_BALANCE_FEN, so no credit, sum or statement total can overflow.
MAX_FEN = 10**12
MAX_BALANCE_FEN = 10**15

Leg = tuple[str, int]  # (account id, signed amount in fen)


@dataclass(frozen=True)
class Answer:
    """What a money-moving call answered: HTTP-style status and a JSON body."""

    status_code: int
    body: dict[str, Any]


async def balance(account_id: str, *, session: AsyncSession) -> int:
    """The account's balance in fen: the sum of its postings (design §5)."""
    total = await session.scalar(
        select(func.coalesce(func.sum(Posting.amount_fen), 0)).where(Posting.account_id == account_id)
    )
    return int(total)


async def open_card_account(*, session: AsyncSession) -> Account:
    account_id = uuid7()
    account = Account(id=account_id, code=f"card:{account_id}", kind="card")
    session.add(account)
    await session.flush()
    return account


async def post(
    legs: Sequence[Leg],
    *,
    kind: str,
    key: str,
    memo: str = "",
    session: AsyncSession,
    listed_on: str = "",
) -> Transaction:
    """Write one balanced transaction. Raises Unbalanced or InsufficientFunds (nothing written then).

    ``key`` is the transaction's idempotency key (unique in the table: a second post with it fails).
    Zero legs are not stored, except ``listed_on``'s: a charge that moves nothing on the card (a
    consultation that cost exactly its hold, a free one) is still a line of the card's statement
    (R-EXP4); a posting of 0 fen changes no balance."""
    if not legs or sum(amount for _, amount in legs) != 0:
        raise Unbalanced(f"transaction {kind!r} does not sum to zero: {list(legs)}")
    if any(not isinstance(amount, int) or isinstance(amount, bool) for _, amount in legs):
        raise Unbalanced("amounts are integer fen")  # never floats (design §5)
    await _check_card_balances(legs, session=session)
    txn = Transaction(id=uuid7(), kind=kind, idempotency_key=key, memo=memo)
    session.add(txn)
    await session.flush()
    session.add_all(
        Posting(transaction_id=txn.id, account_id=account, amount_fen=amount)
        for account, amount in legs
        if amount != 0 or account == listed_on
    )
    await session.flush()
    return txn


async def _check_card_balances(legs: Sequence[Leg], *, session: AsyncSession) -> None:
    delta: dict[str, int] = {}
    for account, amount in legs:
        delta[account] = delta.get(account, 0) + amount
    # Lock in id order so two transactions over the same cards cannot deadlock.
    cards = await session.scalars(
        select(Account.id)
        .where(Account.id.in_(sorted(delta)), Account.kind == "card")
        .order_by(Account.id)
        .with_for_update()
    )
    for account in cards.all():
        if delta[account] == 0:
            continue
        available = await balance(account, session=session)
        if available + delta[account] < 0:
            raise InsufficientFunds(
                f"insufficient funds: balance {available} fen, {-delta[account]} fen needed"
            )
        if available + delta[account] > MAX_BALANCE_FEN:
            raise BalanceCeiling(
                f"a card holds at most {MAX_BALANCE_FEN} fen: balance {available} fen, {delta[account]} more"
            )


def request_hash(operation: str, request: Mapping[str, Any]) -> str:
    canonical = json.dumps({"operation": operation, "request": request}, sort_keys=True, default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()


Work = Callable[[AsyncSession], Awaitable[Answer]]


def client_key(operation: str, key: str, *, card_number: str = "") -> str:
    """The stored form of a client's idempotency key: ``client:<operation>:[<card>:]<key>``.

    Neither the operation nor a card number (``cards.CARD_PATTERN``: letters and digits) holds a colon, so
    two scopes never meet; a key too long for the column with its prefix is stored as its SHA-256."""
    if not key:
        raise DomainError("an idempotency key is required")
    scope = f"{CLIENT}{operation}:" + (f"{card_number}:" if card_number else "")
    if len(scope) + len(key) > KEY_COLUMN:
        key = "sha256=" + hashlib.sha256(key.encode()).hexdigest()
    return scope + key


async def run_once(
    sessions: async_sessionmaker[AsyncSession],
    *,
    key: str,
    operation: str,
    request: Mapping[str, Any],
    work: Work,
    legacy_key: str | None = None,
) -> Answer:
    """Run ``work`` once per idempotency key (design §5).

    ``legacy_key`` is the client's key as it was stored before keys were scoped (``client_key``): an
    answer stored under it for the same ``operation`` is still the answer, so a request first sent before
    the upgrade and replayed after it has one effect, not two. Nothing new is written under it.

    Same key and same request → the stored answer (a stored refusal is raised again); same key and a
    different request → IdempotencyMismatch (409). Two callers racing with one key: the loser's commit
    hits the key's unique constraint, and its retry finds the winner's answer.
    """
    if not key:
        raise DomainError("an idempotency key is required")
    digest = request_hash(operation, request)
    for attempt in range(RETRIES_ON_RACE):
        try:
            async with sessions.begin() as session:
                stored = await session.get(IdempotencyRecord, key) or await _legacy(
                    session, legacy_key, operation
                )
                if stored is not None:
                    return _replay(stored, digest)
                answer = await _attempt(session, work)
                session.add(
                    IdempotencyRecord(
                        key=key,
                        operation=operation,
                        request_hash=digest,
                        status_code=answer.status_code,
                        response=json.dumps(answer.body, sort_keys=True),
                    )
                )
            return _raise_if_refusal(answer)
        except IntegrityError:
            if attempt == RETRIES_ON_RACE - 1:
                raise
    raise AssertionError("unreachable")


async def _legacy(session: AsyncSession, key: str | None, operation: str) -> IdempotencyRecord | None:
    """An answer stored under an unscoped client key by this same operation, if any; another operation's
    record (an internal key such as a consultation's) is never taken for it."""
    if not key:
        return None
    stored = await session.get(IdempotencyRecord, key)
    return stored if stored is not None and stored.operation == operation else None


async def _attempt(session: AsyncSession, work: Work) -> Answer:
    """The work in a savepoint: a stored refusal keeps none of its partial writes."""
    try:
        async with session.begin_nested():
            return await work(session)
    except STORED_REFUSALS as refusal:
        return Answer(refusal.status_code, {"detail": refusal.reason, "refused": type(refusal).__name__})


def _replay(stored: IdempotencyRecord, digest: str) -> Answer:
    if stored.request_hash != digest:
        raise IdempotencyMismatch(
            f"idempotency key {stored.key!r} was used for a different {stored.operation} request"
        )
    return _raise_if_refusal(Answer(stored.status_code, json.loads(stored.response)))


def _raise_if_refusal(answer: Answer) -> Answer:
    if answer.status_code >= 400:
        refusal = {cls.__name__: cls for cls in STORED_REFUSALS}.get(answer.body.get("refused", ""))
        raise (refusal or DomainError)(answer.body["detail"], status_code=answer.status_code)
    return answer

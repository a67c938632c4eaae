"""Paid expert consultations, the money side (R-EXP1–R-EXP5, R-VIP3; design §3, §5). No I/O but the DB.

One consultation is one call (the caller leg's uuid) and three kinds of ledger movement, each under its
own idempotency key so a replay (IVR retry, duplicate CDR, two consumers) has one effect:

- ``consultation-auth:<call>``: the hold. Card → ``system:holds`` for the talk time the balance pays
  (whole minutes under per-started-minute rounding), capped at ``consultation_max_s``. The stored answer
  *is* the authorisation record (rate, rounding, hold, allowed seconds), so no extra table is needed.
  A VIP whose level grants free consultations holds nothing and pays nothing.
- ``consultation-minute:<call>:<k>``: an interim debit for minute k, holds → revenue (the card was
  already debited by the hold, so an interim debit can never overspend it). Refused after settlement.
- ``consultation-settle:<call>``: the final rating from the expert leg's CDR (R-EXP3): the charge for
  the billed seconds (nothing when the consultation lasted under ``consultation_free_drop_s``), capped
  at the hold; revenue gets charge − interim debits (negative: a refund), the card gets hold − charge
  back, and the hold account is emptied for this call. Interim debits are therefore never charged twice.

Settlement and interim debits lock the card's account row first, so on PostgreSQL they serialise (on
SQLite every write transaction does: BEGIN IMMEDIATE) and a minute debited after settlement is refused.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from careline.billing import cards, ledger, rating
from careline.billing.errors import DomainError, InsufficientFunds, NotFound
from careline.billing.ledger import Answer
from careline.billing.models import Account, IdempotencyRecord, Posting, Transaction
from careline.billing.settings import BillingSettings

AUTH, MINUTE, SETTLE = "consultation-auth:", "consultation-minute:", "consultation-settle:"


def auth_key(call_uuid: str) -> str:
    return f"{AUTH}{call_uuid}"


def minute_key(call_uuid: str, minute: int) -> str:
    return f"{MINUTE}{call_uuid}:{minute}"


def settle_key(call_uuid: str) -> str:
    return f"{SETTLE}{call_uuid}"


@dataclass(frozen=True)
class Authorisation:
    """What the hold answered; read back from the idempotency record by call uuid."""

    call_uuid: str
    card_number: str
    account_id: str
    category: str
    price_fen: int
    rounding: str
    hold_fen: int
    allowed_seconds: int
    free: bool
    tariff_text: str
    # What is metered: an expert consultation, or a conference seat (R-EXP6). Older records lack it.
    service: str = rating.EXPERT_CONSULTATION
    # A conference seat's room (R-EXP6): billing lists it against the switch after an outage.
    conference: str = ""

    @classmethod
    def from_body(cls, body: dict[str, Any]) -> Authorisation:
        return cls(**{k: body[k] for k in cls.__dataclass_fields__ if k in body})


class Consultations:
    """Hold, interim debits and settlement of paid consultations (R-EXP3)."""

    def __init__(self, sessions: async_sessionmaker[AsyncSession], settings: BillingSettings, plan) -> None:
        self.sessions = sessions
        self.settings = settings
        self._plan = plan  # Billing.plan: (service, category, session=) -> rating.Plan

    async def authorise(
        self,
        *,
        call_uuid: str,
        card_number: str,
        category: str = rating.ANY,
        lang: str = "zh",
        service: str = rating.EXPERT_CONSULTATION,
        conference: str = "",
    ) -> Authorisation:
        """Reserve funds for the consultation (or conference seat, R-EXP6) on ``call_uuid`` (idempotent
        by call). Raises InsufficientFunds (402) when the card cannot pay one minute, UnknownCard, or
        CardLocked. A free plan (a free listener seat) holds nothing, like a VIP."""
        if not call_uuid:
            raise DomainError("a consultation needs the caller's call uuid")
        if service not in rating.METERED:
            raise DomainError(f"{service!r} is not a metered service")
        category = category or rating.ANY
        request = {"call_uuid": call_uuid, "card_number": card_number, "category": category}
        if service != rating.EXPERT_CONSULTATION:  # older keys keep their fingerprint
            request["service"] = service
        if conference:  # a seat's room; seats without one (older callers) keep their fingerprint
            request["conference"] = conference
        max_s = self.settings.consultation_max_s

        async def work(session: AsyncSession) -> Answer:
            card = await cards.get_card(card_number, session=session)
            if card.locked_at is not None:
                raise DomainError(f"card {card_number} is locked", status_code=423)
            plan = await self._plan(service, category, session=session)
            body = {
                "service": service,
                "call_uuid": call_uuid,
                "card_number": card_number,
                "account_id": card.account_id,
                "category": category,
                "price_fen": plan.price_fen,
                "rounding": plan.rounding,
                "tariff_text": rating.tariff_text(plan, lang=lang),
                "authorised_at": time.time(),
                **({"conference": conference} if conference else {}),
            }
            free = plan.price_fen == 0 or rating.is_free_for(
                plan.service, card.vip_level, self.settings.vip_benefits
            )
            if free:  # R-EXP5: nothing held, nothing charged; the backstop still caps the call
                return Answer(201, {**body, "free": True, "hold_fen": 0, "allowed_seconds": max_s})
            balance = await ledger.balance(card.account_id, session=session)
            allowed = min(rating.allowed_seconds(balance, plan.price_fen, plan.rounding) or 0, max_s)
            allowed -= allowed % 60 if plan.rounding == "per_started_minute" else 0
            if allowed < 60:
                raise InsufficientFunds(f"balance {balance} fen does not pay one minute at {plan.price_fen}")
            hold = rating.metered_charge(allowed, plan.price_fen, plan.rounding)
            legs = [(card.account_id, -hold), (ledger.HOLDS, hold)]
            memo = json.dumps({"call_uuid": call_uuid, "allowed_seconds": allowed, "category": category})
            await ledger.post(
                legs, kind="consultation_hold", key=auth_key(call_uuid), memo=memo, session=session
            )
            return Answer(201, {**body, "free": False, "hold_fen": hold, "allowed_seconds": allowed})

        answer = await ledger.run_once(
            self.sessions, key=auth_key(call_uuid), operation="consultation_auth", request=request, work=work
        )
        return Authorisation.from_body(answer.body)

    async def get(self, call_uuid: str, *, session: AsyncSession | None = None) -> Authorisation:
        if session is None:
            async with self.sessions() as own:
                return await self.get(call_uuid, session=own)
        record = await session.get(IdempotencyRecord, auth_key(call_uuid))
        if record is None or record.status_code >= 400:
            raise NotFound(f"no authorised consultation on call {call_uuid}")
        return Authorisation.from_body(json.loads(record.response))

    async def debit_minute(self, call_uuid: str, minute: int) -> dict[str, Any]:
        """Interim debit of minute ``minute`` (1-based) of talk time; a no-op answer when the call is
        free, settled already, or the minute is beyond the hold."""
        if minute < 1:
            raise DomainError("minutes count from 1")

        async def work(session: AsyncSession) -> Answer:
            auth = await self.get(call_uuid, session=session)
            await _lock_account(auth.account_id, session)
            amount = auth.price_fen
            skip = (
                "free"
                if auth.free
                else "settled"
                if await session.get(IdempotencyRecord, settle_key(call_uuid))
                else "beyond the hold"
                if minute * amount > auth.hold_fen
                else ""
            )
            if skip:
                return Answer(
                    200, {"call_uuid": call_uuid, "minute": minute, "debited_fen": 0, "skipped": skip}
                )
            legs = [(ledger.HOLDS, -amount), (ledger.REVENUE, amount)]
            memo = json.dumps({"call_uuid": call_uuid, "minute": minute})
            key = minute_key(call_uuid, minute)
            await ledger.post(legs, kind="consultation_interim", key=key, memo=memo, session=session)
            return Answer(
                201, {"call_uuid": call_uuid, "minute": minute, "debited_fen": amount, "skipped": ""}
            )

        request = {"call_uuid": call_uuid, "minute": minute}
        key = minute_key(call_uuid, minute)
        answer = await ledger.run_once(
            self.sessions, key=key, operation="consultation_minute", request=request, work=work
        )
        return answer.body

    async def settle(
        self, call_uuid: str, *, billsec: int, cdr_uuid: str = "", expert: str = "", answered_at: int = 0
    ) -> dict[str, Any]:
        """Final rating from the CDR: charge, reconcile interim debits, release the rest of the hold."""
        request = {"call_uuid": call_uuid, "billsec": billsec, "cdr_uuid": cdr_uuid}

        async def work(session: AsyncSession) -> Answer:
            auth = await self.get(call_uuid, session=session)
            await _lock_account(auth.account_id, session)
            interim = await interim_debited(call_uuid, session=session)
            short = billsec < self.settings.consultation_free_drop_s
            full = 0 if auth.free or short else rating.metered_charge(billsec, auth.price_fen, auth.rounding)
            charge = min(full, auth.hold_fen)  # the backstop's grace seconds are not billed beyond the hold
            legs = [
                (auth.account_id, auth.hold_fen - charge),
                (ledger.REVENUE, charge - interim),
                (ledger.HOLDS, interim - auth.hold_fen),
            ]
            detail = {
                "call_uuid": call_uuid,
                "cdr_uuid": cdr_uuid,
                "expert": expert,
                "expert_answered_at": answered_at,
                "billed_seconds": billsec,
                "price_fen": auth.price_fen,
                "rounding": auth.rounding,
                "charge_fen": charge,
                "interim_fen": interim,
                "hold_fen": auth.hold_fen,
                "free": auth.free,
                "not_charged_short": short and not auth.free,
            }
            # Always a transaction, listed on the card even when it moves nothing there (the charge equals
            # the hold, a free call): the statement has one line per consultation (R-EXP4).
            txn = await ledger.post(
                legs,
                kind=auth.service,
                key=settle_key(call_uuid),
                memo=json.dumps(detail, sort_keys=True),
                session=session,
                listed_on=auth.account_id,
            )
            txn_id = txn.id
            balance = await ledger.balance(auth.account_id, session=session)
            return Answer(201, {**detail, "transaction_id": txn_id, "balance_fen": balance})

        answer = await ledger.run_once(
            self.sessions,
            key=settle_key(call_uuid),
            operation="consultation_settle",
            request=request,
            work=work,
        )
        return answer.body

    async def is_settled(self, call_uuid: str) -> bool:
        async with self.sessions() as session:
            return await session.get(IdempotencyRecord, settle_key(call_uuid)) is not None


async def interim_debited(call_uuid: str, *, session: AsyncSession) -> int:
    """Fen moved to revenue by this call's interim debits so far."""
    total = await session.scalar(
        select(func.coalesce(func.sum(Posting.amount_fen), 0))
        .join(Transaction, Transaction.id == Posting.transaction_id)
        .where(
            Transaction.idempotency_key.like(f"{MINUTE}{call_uuid}:%"), Posting.account_id == ledger.REVENUE
        )
    )
    return int(total)


async def _lock_account(account_id: str, session: AsyncSession) -> None:
    await session.scalar(select(Account.id).where(Account.id == account_id).with_for_update())

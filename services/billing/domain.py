"""Billing's business operations (R-ACC1, R-REG4, R-EXP2–R-EXP5, R-VIP3; design §5).

``Billing`` is the one object the HTTP routes and bus handlers call. Every money-moving operation goes
through ``ledger.run_once`` with the caller's idempotency key; its answer is a JSON-able dict (the same
dict on every replay). Knows nothing of FastAPI or NATS.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import asdict
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from careline.billing import bank, cards, ledger, rating
from careline.billing.errors import BalanceCeiling, DomainError, NotFound, UnknownCard
from careline.billing.ledger import Answer
from careline.billing.models import AuditEntry, BankImport, Card, Posting, RatePlan, Transaction
from careline.billing.settings import BillingSettings
from careline.core.ids import uuid7


class Billing:
    def __init__(self, sessions: async_sessionmaker[AsyncSession], settings: BillingSettings) -> None:
        self.sessions = sessions
        self.settings = settings

    # --- cards ------------------------------------------------------------------------------------
    async def sell_card(
        self,
        *,
        key: str,
        card_number: str,
        patient_id: str,
        pin: str,
        opening_balance_fen: int,
        vip_level: int = 0,
        seller: str = "",
    ) -> dict[str, Any]:
        """A card sold at a counter, with its opening balance paid in cash (R-ACC1)."""
        cards.check_card_format(card_number)
        cards.check_pin_format(pin)
        if opening_balance_fen < 0:
            raise DomainError("the opening balance cannot be negative")
        pin_hash = await cards.hash_pin(pin, n=self.settings.pin_scrypt_n)
        # The PIN is left out of the request fingerprint: a fast hash of a 6-digit PIN is no secret.
        request = {
            "card_number": card_number,
            "patient_id": patient_id,
            "opening_balance_fen": opening_balance_fen,
            "vip_level": vip_level,
        }
        client, key = key, ledger.client_key("card_sale", key)

        async def work(session: AsyncSession) -> Answer:
            card = await cards.create_card(
                card_number, patient_id=patient_id, pin_hash=pin_hash, vip_level=vip_level, session=session
            )
            txn_id = None
            if opening_balance_fen:
                legs = [(ledger.CASH, -opening_balance_fen), (card.account_id, opening_balance_fen)]
                memo = _memo(seller=seller)
                txn_id = (await ledger.post(legs, kind="card_sale", key=key, memo=memo, session=session)).id
            return Answer(201, {**_card_body(card, opening_balance_fen, self._max), "transaction_id": txn_id})

        return (await self._once(key, "card_sale", request, work, legacy_key=client)).body

    async def card_info(self, card_number: str) -> dict[str, Any]:
        async with self.sessions() as session:
            card = await cards.get_card(card_number, session=session)
            return _card_body(card, await ledger.balance(card.account_id, session=session), self._max)

    async def authenticate(self, card_number: str, pin: str) -> cards.AuthResult:
        return await cards.authenticate(card_number, pin, sessions=self.sessions, max_attempts=self._max)

    async def reset_pin(self, card_number: str, *, new_pin: str, agent_id: str, reason: str) -> dict:
        cards.check_pin_format(new_pin)
        if not reason.strip() or not agent_id.strip():
            raise DomainError("a PIN reset needs the agent and a reason")
        pin_hash = await cards.hash_pin(new_pin, n=self.settings.pin_scrypt_n)
        async with self.sessions.begin() as session:
            card = await cards.reset_pin(
                card_number, new_pin_hash=pin_hash, agent_id=agent_id, reason=reason, session=session
            )
            return _card_body(card, await ledger.balance(card.account_id, session=session), self._max)

    async def audit_log(self, subject: str, *, limit: int = 100) -> list[dict[str, Any]]:
        async with self.sessions() as session:
            rows = await session.scalars(
                select(AuditEntry).where(AuditEntry.subject == subject).order_by(AuditEntry.id).limit(limit)
            )
            return [
                {"at": r.at, "actor": r.actor, "action": r.action, "detail": json.loads(r.detail)}
                for r in rows
            ]

    # --- top-ups ----------------------------------------------------------------------------------
    async def adjust(
        self, *, key: str, card_number: str, amount_fen: int, reason: str, admin_id: str
    ) -> dict[str, Any]:
        """A manual correction by an admin, up or down, with its reason; audited (R-ACC1)."""
        if amount_fen == 0:
            raise DomainError("an adjustment moves a non-zero amount")
        if not reason.strip() or not admin_id.strip():
            raise DomainError("an adjustment needs the admin and a reason")
        request = {"card_number": card_number, "amount_fen": amount_fen, "reason": reason, "admin": admin_id}
        client, key = key, ledger.client_key("adjustment", key, card_number=card_number)

        async def work(session: AsyncSession) -> Answer:
            card = await cards.get_card(card_number, session=session)
            legs = [(ledger.ADJUSTMENTS, -amount_fen), (card.account_id, amount_fen)]
            memo = _memo(reason=reason, admin=admin_id)
            txn = await ledger.post(legs, kind="adjustment", key=key, memo=memo, session=session)
            await cards.audit(
                session,
                actor=admin_id,
                action="adjustment",
                subject=f"card:{card_number}",
                detail={"amount_fen": amount_fen, "reason": reason, "transaction_id": txn.id},
            )
            return Answer(201, await self._movement(card, txn, amount_fen, session))

        return (await self._once(key, "adjustment", request, work, legacy_key=client)).body

    async def import_bank_statement(self, text: str, *, filename: str = "statement.csv") -> dict[str, Any]:
        """Credit every valid line, idempotently by bank reference, in ONE database transaction:
        a failure anywhere leaves nothing imported. Rejected lines come back with their reasons."""
        try:
            credits, rejections = bank.parse_statement(text)
        except bank.StatementUnreadable as err:
            raise DomainError(str(err)) from err
        for attempt in range(ledger.RETRIES_ON_RACE):
            try:
                return await self._import(credits, rejections, filename)
            except IntegrityError:  # a concurrent import credited one of our references first
                if attempt == ledger.RETRIES_ON_RACE - 1:
                    raise
        raise AssertionError("unreachable")

    async def _import(self, credits, rejections, filename: str) -> dict[str, Any]:
        rejected = [asdict(r) for r in rejections]
        credited, duplicates = [], []
        async with self.sessions.begin() as session:
            for credit in credits:
                key = f"bank:{credit.reference}"
                if await session.scalar(select(Transaction.id).where(Transaction.idempotency_key == key)):
                    duplicates.append({"line": credit.line, "reference": credit.reference})
                    continue
                card = await session.get(Card, credit.card_number)
                if card is None:
                    rejected.append(asdict(bank.Rejection(credit.line, credit.reference, "unknown card")))
                    continue
                legs = [(ledger.BANK, -credit.amount_fen), (card.account_id, credit.amount_fen)]
                memo = _memo(reference=credit.reference, payer=credit.payer)
                try:
                    txn = await ledger.post(legs, kind="bank_transfer", key=key, memo=memo, session=session)
                except BalanceCeiling as full:  # refused before anything is written: the rest goes on
                    rejected.append(asdict(bank.Rejection(credit.line, credit.reference, full.reason)))
                    continue
                credited.append({**asdict(credit), "transaction_id": txn.id})
            rejected.sort(key=lambda r: r["line"])
            report = {
                "import_id": uuid7(),
                "filename": filename,
                "lines": len(credits) + len(rejections),
                "credited": credited,
                "duplicates": duplicates,
                "rejected": rejected,
                "credited_fen": sum(c["amount_fen"] for c in credited),
            }
            session.add(
                BankImport(
                    id=report["import_id"],
                    filename=filename,
                    lines=report["lines"],
                    credited=len(credited),
                    duplicates=len(duplicates),
                    rejected=len(rejected),
                    report=json.dumps(report, sort_keys=True),
                )
            )
        return report

    # --- rating and charges -----------------------------------------------------------------------
    async def plan(self, service: str, category: str, *, session: AsyncSession | None = None) -> rating.Plan:
        """The plan for (service, category), else (service, "*"), else the settings' default."""
        if service not in rating.SERVICES:
            raise NotFound(f"no service {service!r}; known: {', '.join(rating.SERVICES)}")
        if session is None:
            async with self.sessions() as own:
                return await self.plan(service, category, session=own)
        for cat in (category, rating.ANY):
            row = await session.get(RatePlan, (service, cat))
            if row is not None:
                return rating.Plan(service, row.category, int(row.price_fen), row.rounding)
        if service == rating.REGISTRATION:
            return rating.Plan(service, rating.ANY, self.settings.default_registration_fee_fen)
        seat_rates = {
            rating.CONFERENCE_SPEAKER: self.settings.conference_speaker_rate_fen,
            rating.CONFERENCE_LISTENER: self.settings.conference_listener_rate_fen,
        }
        if service in seat_rates:
            return rating.Plan(service, rating.ANY, seat_rates[service], self.settings.default_rounding)
        return rating.Plan(
            service, rating.ANY, self.settings.default_consultation_rate_fen, self.settings.default_rounding
        )

    async def plans(self) -> list[rating.Plan]:
        async with self.sessions() as session:
            rows = await session.scalars(select(RatePlan).order_by(RatePlan.service, RatePlan.category))
            return [rating.Plan(r.service, r.category, int(r.price_fen), r.rounding) for r in rows]

    async def set_plan(self, plan: rating.Plan, *, admin_id: str) -> rating.Plan:
        async with self.sessions.begin() as session:
            row = await session.get(RatePlan, (plan.service, plan.category))
            if row is None:
                session.add(RatePlan(**asdict(plan)))
            else:
                row.price_fen, row.rounding = plan.price_fen, plan.rounding
            await cards.audit(
                session,
                actor=admin_id,
                action="rate_plan",
                subject=f"plan:{plan.service}",
                detail=asdict(plan),
            )
        return plan

    async def tariff(self, service: str, category: str, *, lang: str = "zh") -> dict[str, Any]:
        plan = await self.plan(service, category)
        return {**asdict(plan), "text": rating.tariff_text(plan, lang=lang)}

    async def charge(
        self,
        *,
        key: str,
        card_number: str,
        service: str,
        category: str = rating.ANY,
        seconds: int = 0,
        reference: str = "",
    ) -> dict[str, Any]:
        """Charge a rated service to a card (a finished consultation, a registration fee): the amount is
        exactly the rating rule's; refused whole (402) when the card cannot pay it."""
        if seconds < 0:
            raise DomainError("seconds cannot be negative")
        request = {
            "card_number": card_number,
            "service": service,
            "category": category,
            "seconds": seconds,
            "reference": reference,
        }
        client, key = key, ledger.client_key("charge", key, card_number=card_number)

        async def work(session: AsyncSession) -> Answer:
            card = await cards.get_card(card_number, session=session)
            plan = await self.plan(service, category, session=session)
            amount = rating.charge(
                plan, seconds=seconds, vip_level=card.vip_level, vip_benefits=self.settings.vip_benefits
            )
            detail = {**asdict(plan), "seconds": seconds, "reference": reference, "charge_fen": amount}
            txn_id = None
            if amount:
                legs = [(card.account_id, -amount), (ledger.REVENUE, amount)]
                txn = await ledger.post(legs, kind=service, key=key, memo=_memo(**detail), session=session)
                txn_id = txn.id
            balance = await ledger.balance(card.account_id, session=session)
            return Answer(201, {**detail, "transaction_id": txn_id, "balance_fen": balance})

        return (await self._once(key, "charge", request, work, legacy_key=client)).body

    # --- statements (R-EXP4) ----------------------------------------------------------------------
    async def statement(self, card_number: str, *, limit: int = 500) -> dict[str, Any]:
        async with self.sessions() as session:
            card = await cards.get_card(card_number, session=session)
            rows = await session.execute(
                select(
                    Posting.id,
                    Posting.amount_fen,
                    Transaction.id,
                    Transaction.kind,
                    Transaction.memo,
                    Transaction.created_at,
                )
                .join(Transaction, Transaction.id == Posting.transaction_id)
                .where(Posting.account_id == card.account_id)
                .order_by(Posting.id)
                .limit(limit)
            )
            items, running = [], 0
            for _pid, amount, txn_id, kind, memo, at in rows:
                running += int(amount)
                items.append(
                    {
                        "transaction_id": txn_id,
                        "kind": kind,
                        "at": at,
                        "amount_fen": int(amount),
                        "balance_fen": running,
                        "detail": json.loads(memo or "{}"),
                    }
                )
            return {"card_number": card_number, "balance_fen": running, "items": items}

    # --- helpers ----------------------------------------------------------------------------------
    @property
    def _max(self) -> int:
        return self.settings.max_pin_attempts

    async def _once(
        self, key: str, operation: str, request: Mapping[str, Any], work, *, legacy_key: str
    ) -> Answer:
        """``key`` is the client's key scoped by ``ledger.client_key``; ``legacy_key`` the key as sent, under
        which an answer stored before keys were scoped is still found (issue 9 §7)."""
        return await ledger.run_once(
            self.sessions, key=key, operation=operation, request=request, work=work, legacy_key=legacy_key
        )

    async def _movement(self, card: Card, txn: Transaction, amount: int, session: AsyncSession) -> dict:
        return {
            "card_number": card.card_number,
            "transaction_id": txn.id,
            "amount_fen": amount,
            "balance_fen": await ledger.balance(card.account_id, session=session),
        }


def _memo(**detail: Any) -> str:
    return json.dumps(detail, sort_keys=True, ensure_ascii=False)


def _card_body(card: Card, balance_fen: int, max_attempts: int) -> dict[str, Any]:
    return {
        "card_number": card.card_number,
        "account_id": card.account_id,
        "patient_id": card.patient_id,
        "vip_level": card.vip_level,
        "balance_fen": balance_fen,
        "locked": card.locked_at is not None,
        "failed_pin_attempts": card.failed_pin_attempts,
        "pin_attempts_left": max(0, max_attempts - card.failed_pin_attempts),
    }


__all__ = ["Billing", "UnknownCard"]

"""Formal (paid) registration as a saga with compensation (R-REG4, R-VIP3; design §5).

Booking the CRM's seat and charging the card succeed together or not at all:

1. ``started``   — the row is written first (unique by the idempotency key), with a lease;
2. hold the seat in the CRM (idempotent by the registration id) → ``seat_held``;
3. charge the fee and move to ``booked`` in ONE database transaction (so "charged" and "booked" are the
   same fact) → the answer.

Any failure after step 1 compensates: ``compensating`` → release the seat (idempotent; a release before
a late hold wins in the CRM) → ``failed``. A seat refused by the CRM needs no compensation. If the
release cannot reach the CRM, the row stays ``compensating`` and ``recover`` finishes it later.

Crash safety: every step is a compare-and-set on (id, version), and a worker owns a row only while its
lease runs. ``recover`` (at start and on every sweep) takes over rows whose lease ran out and compensates
them — nothing is charged without a booked row, so compensation never has money to return.

Idempotency: the same key again answers the stored outcome (booked or the refusal); the same key for a
different request is refused (409); a key still in flight is 409 "in progress" until its lease ends.
The charge's ledger key is ``registration:<id>``, so no path can charge a registration twice.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Awaitable, Callable
from dataclasses import asdict, dataclass
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from careline.billing import cards, ledger, rating
from careline.billing.domain import Billing
from careline.billing.errors import Conflict, DomainError, IdempotencyMismatch, InsufficientFunds, NotFound
from careline.billing.registration.models import (
    BOOKED,
    COMPENSATING,
    FAILED,
    SEAT_HELD,
    STARTED,
    UNFINISHED,
    Registration,
)
from careline.billing.registration.seats import HoldRequest, Seat, SeatRefused, Seats, SeatUnavailable
from careline.core.ids import uuid7

log = logging.getLogger("careline.billing.registration")

Clock = Callable[[], dt.datetime]
Fault = Callable[[str], Awaitable[None]]  # tests: raise at a named step to simulate a crash there
INTERRUPTED = "the registration was interrupted before it completed; nothing was charged"


def utc_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def as_utc(value: dt.datetime | None) -> dt.datetime | None:
    """SQLite hands back naive datetimes (stored as UTC); PostgreSQL aware ones."""
    if value is None:
        return None
    return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value.astimezone(dt.UTC)


@dataclass(frozen=True)
class RegistrationRequest:
    idempotency_key: str
    card_number: str
    pin: str
    department_code: str
    slot_id: str = ""
    day: str = ""
    start: str = ""
    expert_number: int = 0
    call_uuid: str = ""

    def fingerprint(self) -> str:
        fields = asdict(self)
        del fields["pin"], fields["call_uuid"]  # a retry may come from another call with the same PIN
        return ledger.request_hash("registration", fields)


class _TakenOver(Exception):
    """Another worker moved the row on (our version is stale): stop and read its outcome."""


class Registrations:
    def __init__(
        self, billing: Billing, seats: Seats, *, clock: Clock = utc_now, fault: Fault | None = None
    ) -> None:
        self.billing = billing
        self.sessions = billing.sessions
        self.settings = billing.settings
        self.seats = seats
        self.clock = clock
        self._fault = fault

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.settings.hospital_timezone)

    # --- fee ----------------------------------------------------------------------------------------
    async def fee_for(self, *, vip_level: int, department_code: str) -> tuple[int, rating.Plan]:
        """The registration fee (rate plan by department code, else "*"); free for VIPs whose level
        grants free_registration (R-VIP3)."""
        plan = await self.billing.plan(rating.REGISTRATION, department_code or rating.ANY)
        fee = rating.charge(plan, vip_level=vip_level, vip_benefits=self.settings.vip_benefits)
        return fee, plan

    async def quote(self, card_number: str, pin: str, department_code: str, *, lang: str = "zh") -> dict:
        """What the IVR announces before the caller confirms (R-REG4: fee announced and confirmed)."""
        auth = await self.billing.authenticate(card_number, pin)
        fee, plan = await self.fee_for(vip_level=auth.vip_level, department_code=department_code)
        text = rating.tariff_text(rating.Plan(plan.service, plan.category, fee), lang=lang)
        return {"fee_fen": fee, "balance_fen": auth.balance_fen, "vip_level": auth.vip_level, "text": text}

    # --- the saga -----------------------------------------------------------------------------------
    async def register(self, request: RegistrationRequest, *, channel: str = "http") -> dict[str, Any]:
        if not request.idempotency_key:
            raise DomainError("an idempotency key is required")
        auth = await self.billing.authenticate(request.card_number, request.pin)
        digest = request.fingerprint()
        existing = await self._by_key(request.idempotency_key)
        if existing is not None:
            return await self._replay(existing, digest)
        fee, _ = await self.fee_for(vip_level=auth.vip_level, department_code=request.department_code)
        if auth.balance_fen < fee:  # refuse before touching the CRM; the charge re-checks under lock
            raise InsufficientFunds(f"insufficient funds: balance {auth.balance_fen} fen, fee {fee} fen")
        row = Registration(
            id=uuid7(),
            idempotency_key=request.idempotency_key,
            request_hash=digest,
            channel=channel,
            card_number=request.card_number,
            patient_id=auth.patient_id,
            department_code=request.department_code,
            requested_slot_id=request.slot_id,
            requested_day=request.day,
            requested_start=request.start,
            expert_number=request.expert_number,
            call_uuid=request.call_uuid,
            fee_fen=fee,
            state=STARTED,
            version=0,
            lease_until=self.clock() + dt.timedelta(seconds=self.settings.registration_lease_s),
            failure_status=0,
            failure_reason="",
        )
        try:
            async with self.sessions.begin() as session:
                session.add(row)
        except IntegrityError:  # a concurrent request with the same key inserted first
            return await self._replay(await self._by_key(request.idempotency_key), digest)
        return await self._run(row.id, 0, request)

    async def _run(self, rid: str, version: int, request: RegistrationRequest) -> dict[str, Any]:
        await self._step("started")
        hold = HoldRequest(
            key=rid,
            card_number=request.card_number,
            department_code=request.department_code,
            slot_id=request.slot_id,
            day=request.day,
            start=request.start,
            expert_number=request.expert_number,
            call_uuid=request.call_uuid,
        )
        try:
            seat = await self.seats.hold(hold)
        except SeatRefused as refused:  # nothing held: fail without compensation
            await self._finish_refused(rid, version, refused)
            raise
        except SeatUnavailable as err:
            return await self._compensate(rid, version, 503, err.reason)
        await self._step("seat_held")
        try:
            version = await self._record_seat(rid, version, seat)
            await self._step("seat_recorded")
            await self._charge(rid, version)
        except _TakenOver:
            return await self._outcome(rid)
        except InsufficientFunds as err:
            return await self._compensate(rid, version, err.status_code, err.reason)
        except Exception:
            log.exception("registration %s: the charge failed", rid)
            row = await self._get(rid)
            if row.state != BOOKED:  # the charge's transaction did not commit: nothing was charged
                return await self._compensate(rid, version, 503, "the charge failed; nothing was charged")
        await self._step("charged")
        return await self._outcome(rid)

    async def _record_seat(self, rid: str, version: int, seat: Seat) -> int:
        starts = as_utc(seat.starts_at)
        day = starts.astimezone(self.zone).date() if starts else None
        expires = _end_of_day(day, self.zone) if day else None
        return await self._cas(
            rid,
            version,
            state=SEAT_HELD,
            appointment_id=seat.appointment_id,
            confirmation_code=seat.confirmation_code,
            slot_id=seat.slot_id,
            department_name=seat.department_name,
            expert_number=seat.expert_number,
            expert_name=seat.expert_name,
            patient_name=seat.patient_name,
            starts_at=starts,
            ends_at=as_utc(seat.ends_at),
            local_day=day,
            expires_at=expires,
        )

    async def _charge(self, rid: str, version: int) -> None:
        """Charge the fee and mark the row booked in one transaction (R-REG4: charged at booking)."""
        async with self.sessions.begin() as session:
            row = await session.get(Registration, rid)
            txn_id = ""
            if row.fee_fen:
                card = await cards.get_card(row.card_number, session=session)
                legs = [(card.account_id, -row.fee_fen), (ledger.REVENUE, row.fee_fen)]
                memo = _memo(row)
                txn = await ledger.post(
                    legs, kind=rating.REGISTRATION, key=f"registration:{rid}", memo=memo, session=session
                )
                txn_id = txn.id
            moved = await session.execute(
                update(Registration)
                .where(Registration.id == rid, Registration.version == version)
                .values(
                    state=BOOKED, version=version + 1, charge_transaction_id=txn_id, updated_at=self.clock()
                )
            )
            if moved.rowcount != 1:
                raise _TakenOver(rid)  # rolls the charge back with the transaction

    async def _finish_refused(self, rid: str, version: int, refused: SeatRefused) -> None:
        try:
            await self._cas(
                rid, version, state=FAILED, failure_status=refused.status_code, failure_reason=refused.reason
            )
        except _TakenOver:
            pass

    async def _compensate(self, rid: str, version: int, status: int, reason: str) -> dict[str, Any]:
        """Undo the seat and answer the outcome (the refusal with ``reason``)."""
        await self._undo(rid, version, status, reason)
        return await self._outcome(rid)

    async def _undo(self, rid: str, version: int, status: int, reason: str) -> None:
        """Release the seat (the only effect outside this database); the row ends ``failed``."""
        try:
            version = await self._cas(
                rid, version, state=COMPENSATING, failure_status=status, failure_reason=reason
            )
        except _TakenOver:
            return
        await self._release(rid, version)

    async def _release(self, rid: str, version: int) -> None:
        try:
            await self.seats.release(rid)
        except SeatUnavailable:
            log.warning("registration %s: seat release postponed, the CRM did not answer", rid)
            return  # stays compensating: recover() retries
        except SeatRefused as refused:  # e.g. already expired in the CRM: no seat to give back
            log.info("registration %s: release refused (%s); nothing to give back", rid, refused.code)
        await self._step("released")
        try:
            await self._cas(rid, version, state=FAILED)
        except _TakenOver:
            pass

    # --- recovery -----------------------------------------------------------------------------------
    async def recover(self) -> int:
        """Finish every unfinished saga whose lease ran out (a crashed or stuck worker): compensate it.
        Safe on several instances at once: each row is taken by compare-and-set. Returns how many."""
        now = self.clock()
        async with self.sessions() as session:
            rows = list(
                await session.execute(
                    select(Registration.id, Registration.version, Registration.state).where(
                        Registration.state.in_(UNFINISHED), Registration.lease_until <= now
                    )
                )
            )
        done = 0
        for rid, version, state in rows:
            try:
                version = await self._cas(
                    rid, version, lease_until=now + dt.timedelta(seconds=self.settings.registration_lease_s)
                )
            except _TakenOver:
                continue
            if state == COMPENSATING:
                await self._release(rid, version)
            else:
                await self._undo(rid, version, 503, INTERRUPTED)
            done += 1
        return done

    # --- reading ------------------------------------------------------------------------------------
    async def get(self, rid: str) -> dict[str, Any]:
        return body_of(await self._get(rid))

    async def list(
        self, *, card_number: str | None = None, day: dt.date | None = None, state: str | None = None
    ) -> list[dict[str, Any]]:
        query = select(Registration).order_by(Registration.starts_at, Registration.id)
        if card_number:
            query = query.where(Registration.card_number == card_number)
        if day:
            query = query.where(Registration.local_day == day)
        if state:
            query = query.where(Registration.state == state)
        async with self.sessions() as session:
            return [body_of(r) for r in await session.scalars(query.limit(500))]

    def today(self) -> dt.date:
        return self.clock().astimezone(self.zone).date()

    # --- helpers ------------------------------------------------------------------------------------
    async def _replay(self, row: Registration, digest: str) -> dict[str, Any]:
        if row.request_hash != digest:
            raise IdempotencyMismatch(
                f"idempotency key {row.idempotency_key!r} was used for a different registration"
            )
        if row.state in UNFINISHED:
            if as_utc(row.lease_until) > self.clock():
                raise Conflict("this registration is still in progress; ask again in a few seconds")
            await self.recover()
        return await self._outcome(row.id)

    async def _outcome(self, rid: str) -> dict[str, Any]:
        row = await self._get(rid)
        if row.state == FAILED or row.state == COMPENSATING:
            raise DomainError(row.failure_reason, status_code=row.failure_status or 409)
        if row.state in UNFINISHED:
            raise Conflict("this registration is still in progress; ask again in a few seconds")
        return body_of(row)

    async def _cas(self, rid: str, version: int, **values: Any) -> int:
        async with self.sessions.begin() as session:
            moved = await session.execute(
                update(Registration)
                .where(Registration.id == rid, Registration.version == version)
                .values(version=version + 1, updated_at=self.clock(), **values)
            )
        if moved.rowcount != 1:
            raise _TakenOver(rid)
        return version + 1

    async def _get(self, rid: str) -> Registration:
        async with self.sessions() as session:
            row = await session.get(Registration, rid)
            if row is None:
                raise NotFound(f"no registration {rid}")
            return row

    async def _by_key(self, key: str) -> Registration | None:
        async with self.sessions() as session:
            return await session.scalar(select(Registration).where(Registration.idempotency_key == key))

    async def _step(self, name: str) -> None:
        if self._fault is not None:
            await self._fault(name)


def _end_of_day(day: dt.date, zone: ZoneInfo) -> dt.datetime:
    return dt.datetime.combine(day + dt.timedelta(days=1), dt.time(), tzinfo=zone).astimezone(dt.UTC)


def _memo(row: Registration) -> str:
    return ledger_memo(
        registration_id=row.id,
        department_code=row.department_code,
        department_name=row.department_name,
        expert_number=row.expert_number,
        expert_name=row.expert_name,
        visit_day=row.local_day.isoformat() if row.local_day else "",
        confirmation_code=row.confirmation_code,
        fee_fen=row.fee_fen,
    )


def ledger_memo(**detail: Any) -> str:
    import json

    return json.dumps(detail, sort_keys=True, ensure_ascii=False)


def body_of(row: Registration) -> dict[str, Any]:
    return {
        "id": row.id,
        "idempotency_key": row.idempotency_key,
        "state": row.state,
        "card_number": row.card_number,
        "patient_id": row.patient_id,
        "patient_name": row.patient_name,
        "department_code": row.department_code,
        "department_name": row.department_name,
        "expert_number": row.expert_number,
        "expert_name": row.expert_name,
        "slot_id": row.slot_id,
        "appointment_id": row.appointment_id,
        "confirmation_code": row.confirmation_code,
        "starts_at": as_utc(row.starts_at),
        "ends_at": as_utc(row.ends_at),
        "local_day": row.local_day,
        "expires_at": as_utc(row.expires_at),
        "fee_fen": int(row.fee_fen),
        "charge_transaction_id": row.charge_transaction_id or None,
        "refund_transaction_id": row.refund_transaction_id or None,
        "checked_in_at": as_utc(row.checked_in_at),
        "failure_reason": row.failure_reason or None,
    }

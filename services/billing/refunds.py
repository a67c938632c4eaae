"""No-show refunds (R-REG5): at the end of its day on the hospital's clock, a formal registration that was
not checked in expires and its fee goes back to the card — exactly once.

Exactly once, with any number of billing instances sweeping at the same time and after any downtime:

- the sweep looks at every ``booked`` registration whose ``expires_at`` has passed, however long ago
  (so the first sweep after a start catches up on everything missed while down);
- the refund is one database transaction: ``UPDATE … SET state='refunded' WHERE id=:id AND
  state='booked'`` plus the ledger transaction keyed ``registration-refund:<id>``. A second sweeper's
  UPDATE matches no row (or its ledger key collides) and it rolls back: nothing is paid twice.

A check-in made at a CRM desk (not through the kiosk) is seen by asking the CRM for the seat's status
first; when the CRM does not answer, that registration waits for the next sweep rather than risk
refunding a visit that happened.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from dataclasses import dataclass, field

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from careline.billing import cards, ledger
from careline.billing.registration import Registrations, ledger_memo
from careline.billing.registration.models import BOOKED, CHECKED_IN, REFUNDED, Registration
from careline.billing.registration.seats import SeatRefused, SeatUnavailable

log = logging.getLogger("careline.billing.refunds")
REFUND_KIND = "registration_refund"


@dataclass
class SweepReport:
    refunded: list[str] = field(default_factory=list)
    checked_in: list[str] = field(default_factory=list)
    postponed: list[str] = field(default_factory=list)
    lost: list[str] = field(default_factory=list)  # settled by another instance meanwhile
    recovered: int = 0


class NoShowRefunds:
    def __init__(self, registrations: Registrations) -> None:
        self.registrations = registrations
        self.sessions = registrations.sessions

    async def sweep(self) -> SweepReport:
        """One pass: recover interrupted sagas, then refund every due no-show (R-REG5)."""
        report = SweepReport(recovered=await self.registrations.recover())
        now = self.registrations.clock()
        async with self.sessions() as session:
            due = list(
                await session.scalars(
                    select(Registration.id)
                    .where(Registration.state == BOOKED, Registration.expires_at <= now)
                    .order_by(Registration.expires_at)
                )
            )
        for rid in due:
            outcome = await self._settle(rid)
            getattr(report, outcome).append(rid)
        if report.refunded or report.postponed:
            log.info("no-show sweep: %d refunded, %d postponed", len(report.refunded), len(report.postponed))
        return report

    async def _settle(self, rid: str) -> str:
        try:
            seat = await self.registrations.seats.status(rid)
        except SeatUnavailable:
            return "postponed"
        except SeatRefused:
            seat = None
        if seat is not None and seat.status == "checked_in":
            await self._mark_checked_in(rid)
            return "checked_in"
        return "refunded" if await self._refund(rid) else "lost"

    async def _mark_checked_in(self, rid: str) -> None:
        async with self.sessions.begin() as session:
            await session.execute(
                update(Registration)
                .where(Registration.id == rid, Registration.state == BOOKED)
                .values(
                    state=CHECKED_IN,
                    version=Registration.version + 1,
                    checked_in_at=self.registrations.clock(),
                )
            )

    async def _refund(self, rid: str) -> bool:
        """Refund once; False when another sweeper (or a check-in) got there first."""
        try:
            async with self.sessions.begin() as session:
                row = await session.get(Registration, rid)
                txn_id = ""
                if row.fee_fen:
                    card = await cards.get_card(row.card_number, session=session)
                    txn = await ledger.post(
                        [(ledger.REVENUE, -row.fee_fen), (card.account_id, row.fee_fen)],
                        kind=REFUND_KIND,
                        key=f"registration-refund:{rid}",
                        memo=ledger_memo(
                            registration_id=rid,
                            reason="no-show",
                            department_code=row.department_code,
                            department_name=row.department_name,
                            expert_number=row.expert_number,
                            expert_name=row.expert_name,
                            visit_day=row.local_day.isoformat() if row.local_day else "",
                            fee_fen=-row.fee_fen,
                        ),
                        session=session,
                    )
                    txn_id = txn.id
                moved = await session.execute(
                    update(Registration)
                    .where(Registration.id == rid, Registration.state == BOOKED)
                    .values(
                        state=REFUNDED,
                        version=Registration.version + 1,
                        refund_transaction_id=txn_id,
                        updated_at=self.registrations.clock(),
                    )
                )
                if moved.rowcount != 1:
                    raise _Lost
        except (_Lost, IntegrityError):
            return False
        return True

    async def run(self, period_s: float) -> None:
        """Sweep at once (catch-up after downtime), then every ``period_s`` seconds until cancelled."""
        while True:
            try:
                await self.sweep()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("no-show sweep failed; retrying next period")
            await asyncio.sleep(period_s)

    @contextlib.asynccontextmanager
    async def running(self, period_s: float):
        task = asyncio.create_task(self.run(period_s), name="billing-no-show-sweep")
        try:
            yield task
        finally:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task


class _Lost(Exception):
    pass

"""HTTP routes of formal registrations (R-REG4, R-REG5) and the revenue report; thin over the domain."""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request

from careline.billing.errors import DomainError
from careline.billing.refunds import NoShowRefunds
from careline.billing.registration.saga import RegistrationRequest, Registrations
from careline.billing.registration.schemas import (
    QuoteIn,
    QuoteOut,
    RegistrationIn,
    RegistrationOut,
    RevenueOut,
    SweepOut,
)
from careline.billing.revenue import DIMENSIONS, revenue_report

router = APIRouter(prefix="/v1", tags=["registrations"])


def _registrations(request: Request) -> Registrations:
    return request.app.state.registrations


def _refunds(request: Request) -> NoShowRefunds:
    return request.app.state.refunds


Regs = Annotated[Registrations, Depends(_registrations)]


@router.post("/registrations", status_code=201, response_model=RegistrationOut)
async def register(body: RegistrationIn, regs: Regs) -> dict:
    """Book the slot and charge the fee together (or neither). Same `idempotency_key` → same answer and
    one charge; 402 not enough money, 409 slot full / key reused for another request / still in
    progress, 401/423 PIN, 503 the CRM did not answer (nothing charged)."""
    return await regs.register(RegistrationRequest(**body.model_dump()), channel="http")


@router.post("/registrations/quote", response_model=QuoteOut)
async def quote(body: QuoteIn, regs: Regs) -> dict:
    """The fee this card would pay (VIP benefits applied) and the sentence to announce (R-REG4)."""
    return await regs.quote(body.card_number, body.pin, body.department_code, lang=body.lang)


@router.get("/registrations", response_model=list[RegistrationOut])
async def list_registrations(
    regs: Regs, card_number: str | None = None, day: dt.date | None = None, state: str | None = None
) -> list[dict]:
    return await regs.list(card_number=card_number, day=day, state=state)


@router.get("/registrations/{registration_id}", response_model=RegistrationOut)
async def get_registration(registration_id: str, regs: Regs) -> dict:
    return await regs.get(registration_id)


@router.post("/registrations/sweep", response_model=SweepOut)
async def sweep(refunds: Annotated[NoShowRefunds, Depends(_refunds)]) -> dict:
    """Run the no-show refund sweep (and saga recovery) now; it also runs periodically (R-REG5)."""
    return dataclasses.asdict(await refunds.sweep())


@router.get("/reports/revenue", response_model=RevenueOut)
async def revenue(
    regs: Regs,
    start: dt.date,
    end: dt.date,
    group_by: Annotated[list[str] | None, Query(description=f"any of {', '.join(DIMENSIONS)}")] = None,
) -> dict:
    """Revenue by day (hospital clock), type, department and expert, from the ledger's revenue account;
    refunds count negative on the day they were paid back."""
    dims = tuple(d for part in (group_by or list(DIMENSIONS)) for d in part.split(",") if d)
    if not dims:
        raise DomainError("group_by needs at least one dimension")
    return await revenue_report(
        regs.sessions, start=start, end=end, zone=regs.settings.hospital_timezone, group_by=dims
    )

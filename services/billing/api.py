"""Billing HTTP API under /v1 (R-ACC1, R-REG4, R-REG6, R-EXP2–R-EXP4): thin routes over Billing."""

from __future__ import annotations

from dataclasses import asdict
from typing import Annotated

from fastapi import APIRouter, Depends, File, Query, Request, UploadFile

from careline.billing import rating
from careline.billing.domain import Billing
from careline.billing.errors import DomainError
from careline.billing.schemas import (
    Adjustment,
    AuditOut,
    AuthOut,
    CardOut,
    CardSale,
    ChargeIn,
    ChargeOut,
    ConsultationAuthIn,
    ConsultationAuthOut,
    ImportReport,
    Movement,
    PinIn,
    PinReset,
    PlanIn,
    PlanOut,
    StatementOut,
    TariffOut,
)

router = APIRouter(prefix="/v1", tags=["billing"])


def _billing(request: Request) -> Billing:
    return request.app.state.billing


Domain = Annotated[Billing, Depends(_billing)]


@router.post("/cards", status_code=201, response_model=CardOut)
async def sell_card(body: CardSale, billing: Domain) -> dict:
    """A card sold with an opening balance paid in cash (R-ACC1). Idempotent by `idempotency_key`."""
    return await billing.sell_card(key=body.idempotency_key, **body.model_dump(exclude={"idempotency_key"}))


@router.get("/cards/{card_number}", response_model=CardOut)
async def get_card(card_number: str, billing: Domain) -> dict:
    """Balance and PIN lock state (the lock is visible to agents)."""
    return await billing.card_info(card_number)


@router.post("/cards/{card_number}/authenticate", response_model=AuthOut)
async def authenticate(card_number: str, body: PinIn, billing: Domain) -> dict:
    """Card + PIN, for the kiosk (R-REG6): 401 wrong PIN, 423 locked, 404 unknown card."""
    return asdict(await billing.authenticate(card_number, body.pin))


@router.post("/cards/{card_number}/pin-reset", response_model=CardOut)
async def reset_pin(card_number: str, body: PinReset, billing: Domain) -> dict:
    """An agent sets a new PIN and unlocks the card; written to the audit log."""
    return await billing.reset_pin(
        card_number, new_pin=body.new_pin, agent_id=body.agent_id, reason=body.reason
    )


@router.get("/cards/{card_number}/audit", response_model=list[AuditOut])
async def card_audit(card_number: str, billing: Domain) -> list[dict]:
    await billing.card_info(card_number)  # 404 for an unknown card
    return await billing.audit_log(f"card:{card_number}")


@router.post("/cards/{card_number}/adjustments", status_code=201, response_model=Movement)
async def adjust(card_number: str, body: Adjustment, billing: Domain) -> dict:
    """A manual adjustment by an admin with a reason (audited). Idempotent by `idempotency_key`."""
    return await billing.adjust(
        key=body.idempotency_key,
        card_number=card_number,
        amount_fen=body.amount_fen,
        reason=body.reason,
        admin_id=body.admin_id,
    )


@router.post("/cards/{card_number}/charges", status_code=201, response_model=ChargeOut)
async def charge(card_number: str, body: ChargeIn, billing: Domain) -> dict:
    """Charge a rated service (402 when the card cannot pay it; nothing is moved then)."""
    return await billing.charge(
        key=body.idempotency_key,
        card_number=card_number,
        service=body.service,
        category=body.category,
        seconds=body.seconds,
        reference=body.reference,
    )


@router.get("/cards/{card_number}/statement", response_model=StatementOut)
async def statement(card_number: str, billing: Domain) -> dict:
    """Every movement of the card account with its details and running balance (R-EXP4)."""
    return await billing.statement(card_number)


@router.post("/bank-statements", response_model=ImportReport)
async def import_bank_statement(billing: Domain, file: UploadFile = File(...)) -> dict:
    """CSV with `reference,card_number,amount[,payer]`; idempotent by bank reference; rejected lines
    come back with their reasons; the credits are committed together or not at all."""
    try:
        text = (await file.read()).decode("utf-8")
    except UnicodeDecodeError as err:
        raise DomainError("the statement is not UTF-8 text") from err
    return await billing.import_bank_statement(text, filename=file.filename or "statement.csv")


@router.get("/rate-plans", response_model=list[PlanOut])
async def rate_plans(billing: Domain) -> list[dict]:
    return [asdict(p) for p in await billing.plans()]


@router.put("/rate-plans/{service}/{category}", response_model=PlanOut)
async def set_rate_plan(service: str, category: str, body: PlanIn, billing: Domain) -> dict:
    try:
        plan = rating.Plan(service, category, body.price_fen, body.rounding)
    except ValueError as err:
        raise DomainError(str(err)) from err
    return asdict(await billing.set_plan(plan, admin_id=body.admin_id))


@router.get("/tariffs/{service}", response_model=TariffOut)
async def tariff(
    service: str,
    billing: Domain,
    category: str = "*",
    lang: Annotated[str, Query(pattern="^(zh|en)$")] = "zh",
) -> dict:
    """The price and the text the IVR plays before charging (R-EXP2)."""
    return await billing.tariff(service, category, lang=lang)


@router.post("/consultations/{call_uuid}/authorise", response_model=ConsultationAuthOut)
async def authorise_consultation(call_uuid: str, body: ConsultationAuthIn, request: Request) -> dict:
    """Reserve funds for a paid expert consultation on the call and set the switch's backstop
    (R-EXP1-R-EXP3, R-EXP5): 402 cannot pay one minute, 423 locked card, 503 backstop not set."""
    auth = await request.app.state.consultations.authorise(call_uuid=call_uuid, **body.model_dump())
    return asdict(auth)

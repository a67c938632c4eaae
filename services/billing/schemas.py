"""Billing request/response models. Money is integer fen and strict: a JSON float is refused (design §5)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, Field

from careline.billing.ledger import MAX_FEN

# One movement or price is at most ledger.MAX_FEN (10 billion yuan): larger gave a 500 (issue 9 §7).
Fen = Annotated[int, Field(strict=True, ge=-MAX_FEN, le=MAX_FEN, description="integer fen (1 CNY = 100 fen)")]
NonNegativeFen = Annotated[
    int, Field(strict=True, ge=0, le=MAX_FEN, description="integer fen (1 CNY = 100 fen)")
]
# A rated service lasts at most this long (115 days), so price × time stays far inside 64 bits.
MAX_SECONDS = 10**7
Key = Annotated[str, Field(min_length=1, max_length=200, description="idempotency key of this call")]
Pin = Annotated[str, Field(pattern=r"^[0-9]{4,8}$")]


class CardSale(BaseModel):
    idempotency_key: Key
    card_number: Annotated[str, Field(pattern=r"^[0-9A-Za-z]{4,32}$")]
    patient_id: Annotated[str, Field(min_length=1, max_length=64, description="CRM patient id")]
    pin: Pin
    opening_balance_fen: NonNegativeFen = 0
    vip_level: Annotated[int, Field(ge=0, le=9)] = 0
    seller: str = ""


class CardOut(BaseModel):
    card_number: str
    account_id: str
    patient_id: str
    vip_level: int
    balance_fen: int
    locked: bool
    failed_pin_attempts: int
    pin_attempts_left: int
    transaction_id: str | None = None


class PinIn(BaseModel):
    pin: Pin


class AuthOut(BaseModel):
    card_number: str
    account_id: str
    patient_id: str
    vip_level: int
    balance_fen: int


class PinReset(BaseModel):
    new_pin: Pin
    agent_id: Annotated[str, Field(min_length=1)]
    reason: Annotated[str, Field(min_length=1)]


class AuditOut(BaseModel):
    at: datetime
    actor: str
    action: str
    detail: dict[str, Any]


class Adjustment(BaseModel):
    idempotency_key: Key
    amount_fen: Fen
    reason: Annotated[str, Field(min_length=1)]
    admin_id: Annotated[str, Field(min_length=1)]


class Movement(BaseModel):
    card_number: str
    transaction_id: str
    amount_fen: int
    balance_fen: int


class ChargeIn(BaseModel):
    idempotency_key: Key
    service: str = Field(
        description="expert_consultation, conference_speaker, conference_listener, registration"
    )
    category: str = "*"
    seconds: Annotated[int, Field(strict=True, ge=0, le=MAX_SECONDS)] = 0
    reference: str = Field(default="", description="what is charged, e.g. the CDR id or registration id")


class ChargeOut(BaseModel):
    service: str
    category: str
    price_fen: int
    rounding: str
    seconds: int
    reference: str
    charge_fen: int
    transaction_id: str | None
    balance_fen: int


class StatementItem(BaseModel):
    transaction_id: str
    kind: str
    at: datetime
    amount_fen: int
    balance_fen: int
    detail: dict[str, Any]


class StatementOut(BaseModel):
    card_number: str
    balance_fen: int
    items: list[StatementItem]


class BankLine(BaseModel):
    line: int
    reference: str


class BankCredit(BankLine):
    card_number: str
    amount_fen: int
    payer: str
    transaction_id: str


class BankRejection(BankLine):
    reason: str


class ImportReport(BaseModel):
    import_id: str
    filename: str
    lines: int
    credited: list[BankCredit]
    duplicates: list[BankLine]
    rejected: list[BankRejection]
    credited_fen: int


class PlanIn(BaseModel):
    price_fen: NonNegativeFen
    rounding: Literal["per_started_minute", "per_second"] = "per_started_minute"
    admin_id: Annotated[str, Field(min_length=1)]


class PlanOut(BaseModel):
    service: str
    category: str
    price_fen: int
    rounding: str


class TariffOut(PlanOut):
    text: str


class ConsultationAuthIn(BaseModel):
    """Authorise a paid expert consultation on a call (R-EXP1); idempotent by the call uuid."""

    card_number: Annotated[str, Field(pattern=r"^[0-9A-Za-z]{4,32}$")]
    category: str = "*"
    lang: Literal["zh", "en"] = "zh"


class ConsultationAuthOut(BaseModel):
    call_uuid: str
    card_number: str
    category: str
    price_fen: int
    rounding: str
    hold_fen: int
    allowed_seconds: int
    free: bool
    tariff_text: str

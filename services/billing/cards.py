"""Card accounts and PINs (R-ACC1, R-REG4, R-EXP1): the PIN is stored only as a slow scrypt hash.

Wrong PINs are counted in the database with ``failed = failed + 1`` (so concurrent guesses all count);
the card locks when the count reaches the limit and stays locked, even for the right PIN, until an agent
resets the PIN — which is written to the audit log with who, why and when.
The hash is computed outside any database transaction (tens of milliseconds that must not hold the
SQLite write lock).
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import os
import re
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from careline.billing import ledger
from careline.billing.errors import CardLocked, DomainError, UnknownCard, WrongPin
from careline.billing.models import AuditEntry, Card

PIN_PATTERN = re.compile(r"^[0-9]{4,8}$")
CARD_PATTERN = re.compile(r"^[0-9A-Za-z]{4,32}$")
SCRYPT_R, SCRYPT_P = 8, 1


def check_pin_format(pin: str) -> None:
    if not PIN_PATTERN.match(pin):
        raise DomainError("a PIN is 4 to 8 digits")


def check_card_format(card_number: str) -> None:
    if not CARD_PATTERN.match(card_number):
        raise DomainError("a card number is 4 to 32 letters or digits")


def _scrypt(pin: str, salt: bytes, n: int, r: int, p: int) -> bytes:
    return hashlib.scrypt(pin.encode(), salt=salt, n=n, r=r, p=p, maxmem=256 * 1024 * 1024, dklen=32)


async def hash_pin(pin: str, *, n: int) -> str:
    salt = os.urandom(16)
    digest = await asyncio.to_thread(_scrypt, pin, salt, n, SCRYPT_R, SCRYPT_P)
    return f"scrypt${n}${SCRYPT_R}${SCRYPT_P}${salt.hex()}${digest.hex()}"


async def verify_pin(pin: str, stored: str) -> bool:
    scheme, n, r, p, salt, digest = stored.split("$")
    if scheme != "scrypt":
        return False
    actual = await asyncio.to_thread(_scrypt, pin, bytes.fromhex(salt), int(n), int(r), int(p))
    return hmac.compare_digest(actual, bytes.fromhex(digest))


@dataclass(frozen=True)
class AuthResult:
    card_number: str
    account_id: str
    patient_id: str
    vip_level: int
    balance_fen: int


async def get_card(card_number: str, *, session: AsyncSession) -> Card:
    card = await session.get(Card, card_number)
    if card is None:
        raise UnknownCard(f"no card {card_number}")
    return card


async def create_card(
    card_number: str, *, patient_id: str, pin_hash: str, vip_level: int, session: AsyncSession
) -> Card:
    check_card_format(card_number)
    if await session.get(Card, card_number) is not None:
        raise DomainError(f"card {card_number} already exists", status_code=409)
    account = await ledger.open_card_account(session=session)
    card = Card(
        card_number=card_number,
        account_id=account.id,
        patient_id=patient_id,
        vip_level=vip_level,
        pin_hash=pin_hash,
        failed_pin_attempts=0,
    )
    session.add(card)
    await session.flush()
    return card


async def authenticate(card_number: str, pin: str, *, sessions, max_attempts: int) -> AuthResult:
    """Card + PIN (R-REG4, R-EXP1, R-REG6). Raises UnknownCard, CardLocked or WrongPin."""
    async with sessions() as session:
        card = await get_card(card_number, session=session)
        stored, locked = card.pin_hash, card.locked_at is not None
    if locked:
        raise CardLocked(f"card {card_number} is locked after too many wrong PINs; ask an agent")
    if not await verify_pin(pin, stored):
        left = await _count_wrong_pin(card_number, max_attempts, sessions=sessions)
        if left <= 0:
            raise CardLocked(f"card {card_number} is now locked after {max_attempts} wrong PINs")
        raise WrongPin(f"wrong PIN; {left} attempt(s) left")
    async with sessions.begin() as session:
        reset = await session.execute(
            update(Card)
            .where(Card.card_number == card_number, Card.locked_at.is_(None))
            .values(failed_pin_attempts=0)
        )
        if reset.rowcount == 0:  # locked by concurrent wrong guesses meanwhile
            raise CardLocked(f"card {card_number} is locked after too many wrong PINs; ask an agent")
        card = await get_card(card_number, session=session)
        return AuthResult(
            card_number=card.card_number,
            account_id=card.account_id,
            patient_id=card.patient_id,
            vip_level=card.vip_level,
            balance_fen=await ledger.balance(card.account_id, session=session),
        )


async def _count_wrong_pin(card_number: str, max_attempts: int, *, sessions) -> int:
    """Count one wrong PIN atomically; lock at the limit. Returns the attempts left."""
    async with sessions.begin() as session:
        await session.execute(
            update(Card)
            .where(Card.card_number == card_number)
            .values(failed_pin_attempts=Card.failed_pin_attempts + 1)
        )
        failed = await session.scalar(select(Card.failed_pin_attempts).where(Card.card_number == card_number))
        if failed >= max_attempts:
            await session.execute(
                update(Card)
                .where(Card.card_number == card_number, Card.locked_at.is_(None))
                .values(locked_at=datetime.now(UTC))
            )
        return max_attempts - failed


async def reset_pin(
    card_number: str, *, new_pin_hash: str, agent_id: str, reason: str, session: AsyncSession
) -> Card:
    """An agent sets a new PIN and unlocks the card; audited (R-REG4, design §6)."""
    card = await get_card(card_number, session=session)
    was_locked = card.locked_at is not None
    card.pin_hash = new_pin_hash
    card.failed_pin_attempts = 0
    card.locked_at = None
    await audit(
        session,
        actor=agent_id,
        action="pin_reset",
        subject=f"card:{card_number}",
        detail={"reason": reason, "was_locked": was_locked},
    )
    await session.flush()
    return card


async def audit(session: AsyncSession, *, actor: str, action: str, subject: str, detail: dict) -> None:
    session.add(
        AuditEntry(actor=actor, action=action, subject=subject, detail=json.dumps(detail, sort_keys=True))
    )

"""Patient records and caller-ID recognition (R-CRM1, R-CRM2, R-VIP2).

Free of FastAPI, NATS and ESL: functions take an ``AsyncSession`` as ``session=`` and raise the
errors below, which the web shell maps to 4xx with the reason.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from sqlalchemy import func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from careline.core.ids import uuid7
from careline.core.web import Conflict, DomainError, NotFound
from careline.crm.idnumber import IdNumberError, validate_id_number
from careline.crm.models import Patient, PatientCard, PatientPhone
from careline.crm.phones import PhoneError, normalise_phone
from careline.crm.schemas import PatientCreate, PatientUpdate, PhoneIn

_CARD = re.compile(r"[A-Z0-9]{4,32}")
MAX_PAGE = 200
# Offsets past SQLite's 64-bit INTEGER gave a 500 (issue 9 §7); no list is ever paged that far.
MAX_OFFSET = 2**31 - 1


class InvalidPatient(DomainError):
    status_code = 422


class PatientNotFound(NotFound):
    pass


class PatientConflict(Conflict):
    pass


@dataclass
class CallerMatch:
    """The answer to "who is calling from this number?" (R-CRM2)."""

    number: str
    patient: Patient | None = None
    matches: int = 0
    note: str = ""
    candidates: list[str] = field(default_factory=list)

    @property
    def found(self) -> bool:
        return self.patient is not None


# --- validation -------------------------------------------------------------------------------------


def _id_number(raw: str | None) -> str | None:
    if raw is None or not raw.strip():
        return None
    try:
        return validate_id_number(raw)
    except IdNumberError as err:
        raise InvalidPatient(err.reason) from None


def _card_numbers(raw: list[str]) -> list[str]:
    cards: list[str] = []
    for item in raw:
        card = item.strip().upper()
        if not _CARD.fullmatch(card):
            raise InvalidPatient(f"card number {item!r} must be 4-32 letters or digits")
        if card in cards:
            raise InvalidPatient(f"card number {card} is listed twice")
        cards.append(card)
    return cards


def _phones(raw: list[PhoneIn], default_area_code: str | None) -> list[PatientPhone]:
    phones: list[PatientPhone] = []
    seen: dict[str, str] = {}
    for position, item in enumerate(raw):
        try:
            number = normalise_phone(item.number, default_area_code=default_area_code)
        except PhoneError as err:
            raise InvalidPatient(err.reason) from None
        if number in seen:
            raise InvalidPatient(f"phone {item.number!r} is the same number as {seen[number]!r} ({number})")
        seen[number] = item.number
        phones.append(
            PatientPhone(
                number=number,
                raw=item.number.strip(),
                label=item.label.strip(),
                owner=item.owner,
                primary=item.primary,
                position=position,
            )
        )
    if sum(p.primary for p in phones) > 1:
        raise InvalidPatient("at most one phone per patient may be marked primary")
    return phones


def _vip(vip: bool, level: int) -> None:
    if level and not vip:
        raise InvalidPatient("vip_level needs vip=true")


def normalise_query_phone(raw: str, default_area_code: str | None = None) -> str:
    try:
        return normalise_phone(raw, default_area_code=default_area_code)
    except PhoneError as err:
        raise InvalidPatient(err.reason) from None


# --- uniqueness -------------------------------------------------------------------------------------


async def _check_unique(
    session: AsyncSession, *, patient_id: str | None, id_number: str | None, cards: list[str]
) -> None:
    if id_number:
        owner = await session.scalar(select(Patient.id).where(Patient.id_number == id_number))
        if owner and owner != patient_id:
            raise PatientConflict(f"ID number {id_number} already belongs to patient {owner}")
    if cards:
        rows = await session.execute(
            select(PatientCard.card_number, PatientCard.patient_id).where(PatientCard.card_number.in_(cards))
        )
        for card, owner in rows:
            if owner != patient_id:
                raise PatientConflict(f"card number {card} already belongs to patient {owner}")


async def _flush(session: AsyncSession) -> None:
    try:
        await session.flush()
    except IntegrityError as err:  # a concurrent writer won the race our checks could not see
        raise PatientConflict("ID number or card number already belongs to another patient") from err


# --- CRUD -------------------------------------------------------------------------------------------


async def create_patient(
    data: PatientCreate, *, session: AsyncSession, default_area_code: str | None = None
) -> Patient:
    id_number = _id_number(data.id_number)
    cards = _card_numbers(data.card_numbers)
    phones = _phones(data.phones, default_area_code)
    _vip(data.vip, data.vip_level)
    await _check_unique(session, patient_id=None, id_number=id_number, cards=cards)
    patient_id = uuid7()
    patient = Patient(
        id=patient_id,
        name=data.name.strip(),
        id_number=id_number,
        vip=data.vip,
        vip_level=data.vip_level,
        cards=[PatientCard(card_number=c, position=i) for i, c in enumerate(cards)],
        phones=phones,
    )
    session.add(patient)
    await _flush(session)
    await session.commit()
    return await get_patient(patient_id, session=session)


async def get_patient(patient_id: str, *, session: AsyncSession) -> Patient:
    patient = await session.scalar(
        select(Patient)
        .where(Patient.id == patient_id)
        .options(selectinload(Patient.cards), selectinload(Patient.phones))
        .execution_options(populate_existing=True)
    )
    if patient is None:
        raise PatientNotFound(f"no patient {patient_id}")
    return patient


async def update_patient(
    patient_id: str, data: PatientUpdate, *, session: AsyncSession, default_area_code: str | None = None
) -> Patient:
    patient = await get_patient(patient_id, session=session)
    given = data.model_fields_set
    if "name" in given:
        if data.name is None or not data.name.strip():
            raise InvalidPatient("name cannot be empty")
        patient.name = data.name.strip()
    id_number = _id_number(data.id_number) if "id_number" in given else patient.id_number
    cards = _card_numbers(data.card_numbers or []) if "card_numbers" in given else None
    vip = data.vip if "vip" in given and data.vip is not None else patient.vip
    level = data.vip_level if "vip_level" in given and data.vip_level is not None else patient.vip_level
    if not vip and "vip_level" not in given:
        level = 0  # un-VIP-ing a patient clears the level
    _vip(vip, level)
    phones = _phones(data.phones or [], default_area_code) if "phones" in given else None
    await _check_unique(session, patient_id=patient.id, id_number=id_number, cards=cards or [])
    patient.id_number, patient.vip, patient.vip_level = id_number, vip, level
    if cards is not None:
        patient.cards.clear()
        await session.flush()  # free the unique card numbers before re-inserting them
        patient.cards.extend(PatientCard(card_number=c, position=i) for i, c in enumerate(cards))
    if phones is not None:
        patient.phones.clear()
        await session.flush()
        patient.phones.extend(phones)
    await _flush(session)
    await session.commit()
    return await get_patient(patient_id, session=session)


async def delete_patient(patient_id: str, *, session: AsyncSession) -> None:
    patient = await get_patient(patient_id, session=session)
    await session.delete(patient)
    await session.commit()


async def search_patients(
    *,
    session: AsyncSession,
    phone: str | None = None,
    id_number: str | None = None,
    card: str | None = None,
    name: str | None = None,
    limit: int = 50,
    offset: int = 0,
    default_area_code: str | None = None,
) -> tuple[list[Patient], int]:
    """Patients matching every given criterion; name matches a part of the name (R-CRM1)."""
    if not 1 <= limit <= MAX_PAGE:
        raise InvalidPatient(f"limit must be between 1 and {MAX_PAGE}")
    if offset < 0:
        raise InvalidPatient("offset cannot be negative")
    query = select(Patient)
    if phone:
        number = normalise_query_phone(phone, default_area_code)
        query = query.where(Patient.phones.any(PatientPhone.number == number))
    if id_number:
        query = query.where(Patient.id_number == id_number.strip().upper())
    if card:
        query = query.where(Patient.cards.any(PatientCard.card_number == card.strip().upper()))
    if name:
        pattern = "%" + name.strip().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        query = query.where(or_(Patient.name.like(pattern, escape="\\")))
    total = await session.scalar(select(func.count()).select_from(query.subquery()))
    rows = await session.scalars(
        query.options(selectinload(Patient.cards), selectinload(Patient.phones))
        .order_by(Patient.created_at, Patient.id)
        .limit(limit)
        .offset(offset)
    )
    return list(rows), int(total or 0)


# --- caller-ID recognition --------------------------------------------------------------------------


async def lookup_caller(
    raw_number: str, *, session: AsyncSession, default_area_code: str | None = None
) -> CallerMatch:
    """Who calls from ``raw_number`` (R-CRM2)? Unusable numbers raise :class:`InvalidPatient`.

    A number shared by several patients (a family line) answers with the patient whose phone entry
    is marked primary, else the one registered first, and ``note`` says so.
    """
    number = normalise_query_phone(raw_number, default_area_code)
    rows = (
        await session.execute(
            select(PatientPhone.patient_id, PatientPhone.primary)
            .join(Patient, Patient.id == PatientPhone.patient_id)
            .where(PatientPhone.number == number)
            .order_by(PatientPhone.primary.desc(), Patient.created_at, Patient.id)
        )
    ).all()
    if not rows:
        return CallerMatch(number=number, note="number not registered")
    chosen_id, chosen_primary = rows[0]
    match = CallerMatch(
        number=number,
        patient=await get_patient(chosen_id, session=session),
        matches=len(rows),
        candidates=[r.patient_id for r in rows],
    )
    if len(rows) > 1:
        how = "marked primary" if chosen_primary else "registered first"
        match.note = f"number shared by {len(rows)} patients; answered with the one {how}"
    return match

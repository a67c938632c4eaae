"""Information content (R-INFO1): hospital introduction, new drugs (maybe sponsored), drug look-up by
number, medical common sense, health tips; and expert introductions by number (from the directory).
Every item is editable and switchable on/off at any time (R-ADM3); a switched-off item is not served to
callers but stays for the editors.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from careline.core.ids import uuid7
from careline.core.web import Conflict, DomainError, NotFound
from careline.crm.models import Expert, InfoItem
from careline.crm.models.info import KINDS
from careline.crm.schemas_info import InfoIn, InfoPatch

EXPERT = "expert"
LOOKUP_KINDS = (*KINDS, EXPERT)


class UnknownKind(DomainError):
    status_code = 422


@dataclass
class Answer:
    """One item as callers hear it, or why there is none."""

    found: bool
    reason: Literal["", "unknown_kind", "not_found", "disabled"] = ""
    kind: str = ""
    number: int = 0
    title: str = ""
    text: str = ""
    sponsor: str = ""
    numbers: list[int] = field(default_factory=list)


def _kind(kind: str, *, allow_expert: bool = False) -> str:
    allowed = LOOKUP_KINDS if allow_expert else KINDS
    if kind not in allowed:
        hint = " (expert introductions are edited under /v1/experts)" if kind == EXPERT else ""
        raise UnknownKind(f"unknown information kind {kind!r}; expected one of {', '.join(allowed)}{hint}")
    return kind


async def create_item(data: InfoIn, *, session: AsyncSession) -> InfoItem:
    _kind(data.kind)
    if await session.scalar(
        select(InfoItem.id).where(InfoItem.kind == data.kind, InfoItem.number == data.number)
    ):
        raise Conflict(f"{data.kind} number {data.number} exists")
    row = InfoItem(id=uuid7(), **data.model_dump())
    session.add(row)
    try:
        await session.commit()
    except IntegrityError as err:
        await session.rollback()
        raise Conflict(f"{data.kind} number {data.number} exists") from err
    return row


async def get_item(kind: str, number: int, *, session: AsyncSession) -> InfoItem:
    row = await session.scalar(
        select(InfoItem).where(InfoItem.kind == _kind(kind), InfoItem.number == number)
    )
    if row is None:
        raise NotFound(f"no {kind} number {number}")
    return row


async def update_item(kind: str, number: int, patch: InfoPatch, *, session: AsyncSession) -> InfoItem:
    row = await get_item(kind, number, session=session)
    for name in patch.model_fields_set:
        value = getattr(patch, name)
        if value is None:
            raise DomainError(f"{name} cannot be null", status_code=422)
        setattr(row, name, value)
    await session.commit()
    return row


async def delete_item(kind: str, number: int, *, session: AsyncSession) -> None:
    await session.delete(await get_item(kind, number, session=session))
    await session.commit()


async def list_items(
    *, session: AsyncSession, kind: str | None = None, enabled: bool | None = None
) -> list[InfoItem]:
    query = select(InfoItem).order_by(InfoItem.kind, InfoItem.number)
    if kind:
        query = query.where(InfoItem.kind == _kind(kind))
    if enabled is not None:
        query = query.where(InfoItem.enabled.is_(enabled))
    return list(await session.scalars(query))


async def look_up(kind: str, number: int, *, session: AsyncSession) -> Answer:
    """What a caller hears for ``kind`` ``number`` (0: the first enabled item) — R-INFO1."""
    if kind not in LOOKUP_KINDS:
        return Answer(found=False, reason="unknown_kind", kind=kind, number=number)
    if kind == EXPERT:
        rows = list(await session.scalars(select(Expert).order_by(Expert.number)))
        items = [(e.number, e.enabled, f"{e.name} {e.title}".strip(), e.introduction, "") for e in rows]
    else:
        rows = list(
            await session.scalars(select(InfoItem).where(InfoItem.kind == kind).order_by(InfoItem.number))
        )
        items = [(i.number, i.enabled, i.title, i.body, i.sponsor) for i in rows]
    numbers = [n for n, enabled, *_ in items if enabled]
    if number == 0 and numbers:
        number = numbers[0]
    match = next((item for item in items if item[0] == number), None)
    if match is None:
        return Answer(found=False, reason="not_found", kind=kind, number=number, numbers=numbers)
    if not match[1]:
        return Answer(found=False, reason="disabled", kind=kind, number=number, numbers=numbers)
    _, _, title, text, sponsor = match
    return Answer(True, "", kind, number, title, text, sponsor, numbers)

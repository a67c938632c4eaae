"""Storing and finding call detail records (R-CDR1).

Free of FastAPI, NATS and ESL. Storing lives in :mod:`careline.cdr.writer` (batched, idempotent on the leg
uuid: a repeated CHANNEL_HANGUP_COMPLETE is success, never a second row; issue 15).
Listing is newest first with a keyset cursor over ``(start_us, uuid)``, so paging stays correct while
new rows arrive; ``offset`` is offered too, for UIs that jump to a page.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass

from sqlalchemy import Select, and_, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from careline.cdr.models import CdrRow
from careline.core.web import DomainError, NotFound

MAX_LIMIT = 500
# Offsets past SQLite's 64-bit INTEGER gave a 500 (issue 9 §7); deeper pages use the cursor.
MAX_OFFSET = 2**31 - 1
EXPORT_BATCH = 500


class InvalidQuery(DomainError):
    status_code = 422


class CdrNotFound(NotFound):
    pass


@dataclass(frozen=True)
class CdrQuery:
    """Filters of a search; every one given must match. ``number`` matches caller or destination."""

    start_from: dt.datetime | None = None
    start_to: dt.datetime | None = None
    number: str | None = None
    queue: str | None = None
    agent: str | None = None
    call_id: str | None = None

    def __post_init__(self) -> None:
        if self.start_from and self.start_to and _us(self.start_from) >= _us(self.start_to):
            raise InvalidQuery("'from' must be earlier than 'to'")

    def apply(self, query: Select) -> Select:
        conditions = []
        if self.start_from:
            conditions.append(CdrRow.start_us >= _us(self.start_from))
        if self.start_to:
            conditions.append(CdrRow.start_us < _us(self.start_to))
        if self.number:
            conditions.append(
                or_(CdrRow.caller_number == self.number, CdrRow.destination_number == self.number)
            )
        for column, value in ((CdrRow.queue, self.queue), (CdrRow.agent, self.agent)):
            if value:
                conditions.append(column == value)
        if self.call_id:
            conditions.append(CdrRow.call_id == self.call_id)
        return query.where(and_(*conditions)) if conditions else query


@dataclass
class CdrPage:
    items: list[CdrRow]
    total: int
    limit: int
    offset: int
    next_cursor: str | None


def _us(moment: dt.datetime) -> int:
    """Unix microseconds; a naive datetime is taken as UTC."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    delta = moment - dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
    return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds


def from_us(value: int | None) -> dt.datetime | None:
    if value is None:
        return None
    return dt.datetime(1970, 1, 1, tzinfo=dt.UTC) + dt.timedelta(microseconds=value)


# --- finding ----------------------------------------------------------------------------------------


async def get_cdr(uuid: str, *, session: AsyncSession) -> CdrRow:
    row = await session.get(CdrRow, uuid)
    if row is None:
        raise CdrNotFound(f"no CDR for leg {uuid}")
    return row


def encode_cursor(row: CdrRow) -> str:
    return base64.urlsafe_b64encode(f"{row.start_us}:{row.uuid}".encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[int, str]:
    try:
        text = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        start, uuid = text.split(":", 1)
        return int(start), uuid
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raise InvalidQuery("cursor is not one this service issued") from None


def _newest_first(query: Select) -> Select:
    return query.order_by(CdrRow.start_us.desc(), CdrRow.uuid.desc())


def _after(cursor: str | None) -> list:
    if not cursor:
        return []
    start, uuid = decode_cursor(cursor)
    return [or_(CdrRow.start_us < start, and_(CdrRow.start_us == start, CdrRow.uuid < uuid))]


async def list_cdrs(
    query: CdrQuery,
    *,
    session: AsyncSession,
    limit: int = 50,
    cursor: str | None = None,
    offset: int = 0,
) -> CdrPage:
    if not 1 <= limit <= MAX_LIMIT:
        raise InvalidQuery(f"limit must be between 1 and {MAX_LIMIT}")
    if offset < 0:
        raise InvalidQuery("offset cannot be negative")
    if cursor and offset:
        raise InvalidQuery("give either cursor or offset, not both")
    filtered = query.apply(select(CdrRow))
    total = await session.scalar(select(func.count()).select_from(filtered.subquery()))
    page = _newest_first(filtered.where(*_after(cursor))).offset(offset).limit(limit + 1)
    rows = list(await session.scalars(page))
    more = len(rows) > limit
    rows = rows[:limit]
    return CdrPage(
        items=rows,
        total=int(total or 0),
        limit=limit,
        offset=offset,
        next_cursor=encode_cursor(rows[-1]) if more else None,
    )


async def iter_cdrs(
    query: CdrQuery, *, sessions: Callable[[], AsyncSession], batch: int = EXPORT_BATCH
) -> AsyncIterator[CdrRow]:
    """Every matching row, newest first, fetched in keyset batches (each in a short session) so an
    export of a year of calls neither holds a transaction open nor loads everything in memory."""
    cursor = None
    while True:
        async with sessions() as session:
            page = _newest_first(query.apply(select(CdrRow)).where(*_after(cursor))).limit(batch)
            rows = list(await session.scalars(page))
        for row in rows:
            yield row
        if len(rows) < batch:
            return
        cursor = encode_cursor(rows[-1])

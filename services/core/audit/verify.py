"""Checking the audit chain (issue 9 §3): a removed or altered row is found and named.

Walks the log in id order, in batches. Each row must name the row before it (``prev_hash``; GENESIS for
the first) and its own hash must match its fields. Rows removed from the *end* leave a shorter valid
chain: compare ``head_hash``/``rows`` with a value recorded elsewhere (logs, metrics, a backup) to catch
that too (docs/adr/0003).
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from careline.core.audit.chain import GENESIS, HASHED_FIELDS, row_hash
from careline.core.audit.models import AuditRow

BATCH = 1000


@dataclass(frozen=True)
class ChainReport:
    ok: bool
    rows: int
    head_hash: str
    broken_at: int | None = None  # id of the first row that fails
    problem: str = ""


async def verify_chain(session: AsyncSession, *, batch: int = BATCH) -> ChainReport:
    expected_prev = GENESIS
    rows = 0
    last_id = None
    while True:
        query = select(AuditRow).order_by(AuditRow.id).limit(batch)
        if last_id is not None:
            query = query.where(AuditRow.id > last_id)
        page = list(await session.scalars(query))
        if not page:
            return ChainReport(ok=True, rows=rows, head_hash=expected_prev)
        for row in page:
            if row.prev_hash != expected_prev:
                return ChainReport(
                    False, rows, expected_prev, row.id, "does not follow the row before it (one removed?)"
                )
            fields = {name: getattr(row, name) for name in HASHED_FIELDS}
            if row_hash(row.prev_hash, fields) != row.hash:
                return ChainReport(False, rows, expected_prev, row.id, "its content does not match its hash")
            expected_prev = row.hash
            rows += 1
        last_id = page[-1].id
        session.expunge_all()

"""Revenue report (issue 5): money that reached the revenue account, by day (hospital clock), type,
department and expert. Read from the ledger only — the revenue account's postings — so it always agrees
with the books: a refund is negative revenue on the day it was paid back.

Department and expert come from the transaction's memo (registrations write ``department_code`` /
``expert_number``; other charges may write ``department``/``expert``/``category``); a movement without
them is reported under "" (e.g. a consultation rated only by category).
"""

from __future__ import annotations

import datetime as dt
import json
from collections import defaultdict
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from careline.billing import ledger
from careline.billing.errors import DomainError
from careline.billing.models import Posting, Transaction

DIMENSIONS = ("day", "type", "department", "expert")
MAX_DAYS = 366


async def revenue_report(
    sessions: async_sessionmaker[AsyncSession],
    *,
    start: dt.date,
    end: dt.date,
    zone: str,
    group_by: tuple[str, ...] = DIMENSIONS,
) -> dict[str, Any]:
    """Revenue from ``start`` to ``end`` inclusive (local days), summed per ``group_by`` dimensions."""
    if end < start:
        raise DomainError("the report's end is before its start")
    if (end - start).days >= MAX_DAYS:
        raise DomainError(f"a report covers at most {MAX_DAYS} days")
    unknown = [d for d in group_by if d not in DIMENSIONS]
    if unknown:
        raise DomainError(f"cannot group by {', '.join(unknown)}; choose from {', '.join(DIMENSIONS)}")
    tz = ZoneInfo(zone)
    since = dt.datetime.combine(start, dt.time(), tzinfo=tz).astimezone(dt.UTC)
    until = dt.datetime.combine(end + dt.timedelta(days=1), dt.time(), tzinfo=tz).astimezone(dt.UTC)
    async with sessions() as session:
        rows = await session.execute(
            select(Posting.amount_fen, Transaction.kind, Transaction.memo, Transaction.created_at)
            .join(Transaction, Transaction.id == Posting.transaction_id)
            .where(
                Posting.account_id == ledger.REVENUE,
                Transaction.created_at >= since,
                Transaction.created_at < until,
            )
        )
        sums: dict[tuple, list[int]] = defaultdict(lambda: [0, 0])
        names: dict[tuple, tuple[str, str]] = {}
        for amount, kind, memo, at in rows:
            detail = _detail(memo)
            full = {
                "day": _local_day(at, tz).isoformat(),
                "type": kind,
                "department": str(detail.get("department_code") or detail.get("department") or ""),
                "expert": str(detail.get("expert_number") or detail.get("expert") or ""),
            }
            group = tuple(full[d] for d in group_by)
            sums[group][0] += int(amount)
            sums[group][1] += 1
            names[group] = (str(detail.get("department_name", "")), str(detail.get("expert_name", "")))
    out = []
    for group in sorted(sums):
        row: dict[str, Any] = dict(zip(group_by, group, strict=True))
        if "department" in group_by:
            row["department_name"] = names[group][0]
        if "expert" in group_by:
            row["expert_name"] = names[group][1]
        row["amount_fen"], row["transactions"] = sums[group]
        out.append(row)
    return {
        "start": start,
        "end": end,
        "time_zone": zone,
        "group_by": list(group_by),
        "rows": out,
        "total_fen": sum(r["amount_fen"] for r in out),
    }


def _detail(memo: str | None) -> dict[str, Any]:
    try:
        value = json.loads(memo or "{}")
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


def _local_day(at: dt.datetime, tz: ZoneInfo) -> dt.date:
    aware = at.replace(tzinfo=dt.UTC) if at.tzinfo is None else at
    return aware.astimezone(tz).date()

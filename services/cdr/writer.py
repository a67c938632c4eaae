"""Writing CDRs in batches from the intake stream (issue 15, R-CDR1); the batch is acked only after this
returns, i.e. after its rows are committed and their Cdr facts are on JetStream.

One batch = one transaction with one multi-row ``INSERT … ON CONFLICT (uuid) DO NOTHING`` (SQLAlchemy Core,
no ORM session, no row objects), so a leg is in the table exactly once however often it arrives (a repeated
event, a redelivery after a crash, mod_json_cdr's copy, an import). The Cdr facts of the rows the insert
added are published before the commit, inside the transaction: a refused publish rolls the batch back (it is
retried whole), so a committed row always has its fact on JetStream. A retry after a publish that did go out
publishes again; JetStream drops the repeat by Nats-Msg-Id = leg uuid (and billing's consumer is idempotent
past the dedupe window). ``published`` is therefore true on every row this writer commits.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Mapping, Sequence

from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncEngine

from careline.cdr.mapping import CdrRecord, MappingError, cdr_from_headers
from careline.cdr.models import CdrRow

log = logging.getLogger("careline.cdr.writer")

TABLE = CdrRow.__table__
FactPublisher = Callable[[CdrRecord], Awaitable[object]]
_INSERTS = {"sqlite": sqlite.insert, "postgresql": postgresql.insert}


class CdrWriter:
    """The batch handler of the CDR_INTAKE consumer (``write``); counters for /metrics and tests."""

    def __init__(self, engine: AsyncEngine, publish: FactPublisher | None = None) -> None:
        self._engine = engine
        self._publish = publish
        insert = _INSERTS[engine.dialect.name]
        # RETURNING names the rows this statement inserted: a leg already stored is skipped and not returned
        self._insert = (
            insert(TABLE).on_conflict_do_nothing(index_elements=[TABLE.c.uuid]).returning(TABLE.c.uuid)
        )
        self.stored = 0  # rows this writer inserted
        self.duplicates = 0  # legs that were already stored
        self.ignored = 0  # intake records that cannot become a CDR
        self.last_end_us = 0  # the newest leg end written (ingest lag, seen from the switch's clock)

    async def write(self, batch: Sequence[Mapping[str, str]]) -> None:
        records = self._map(batch)
        if not records:
            return
        async with self._engine.begin() as conn:
            result = await conn.execute(self._insert, [_row(r) for r in records.values()])
            new = {uuid for (uuid,) in result}
            # The facts go out inside the transaction: if one is refused, nothing is committed and the
            # batch is retried whole; once committed, every new row's fact is on JetStream.
            await self._publish_facts([r for u, r in records.items() if u in new])
        self.stored += len(new)
        self.duplicates += len(records) - len(new)
        self.last_end_us = max(self.last_end_us, max(r.end_us for r in records.values()))

    def _map(self, batch: Sequence[Mapping[str, str]]) -> dict[str, CdrRecord]:
        records: dict[str, CdrRecord] = {}
        for headers in batch:
            try:
                cdr = cdr_from_headers(headers)
            except MappingError as err:
                self.ignored += 1
                log.warning("intake record ignored: %s", err)
                continue
            records.setdefault(cdr.uuid, cdr)  # the same leg twice in one batch: stored once
        return records

    async def _publish_facts(self, records: list[CdrRecord]) -> None:
        if self._publish is None or not records:
            return
        results = await asyncio.gather(*(self._publish(r) for r in records), return_exceptions=True)
        errors = [res for res in results if isinstance(res, BaseException)]
        if errors:
            raise RuntimeError(f"{len(errors)} Cdr facts not published: {errors[0]!r}") from errors[0]


def _row(cdr: CdrRecord) -> dict:
    row = cdr.as_dict()
    row["published"] = True  # committed only together with its fact's publication (see write)
    return row

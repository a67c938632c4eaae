"""Writing the ACD's call events from the intake stream in batches (issue 15, R-STAT1); the batch is
acked only after this returns, i.e. after its rows are committed (``Bus.consume_batch``).

One batch = one transaction with one multi-row ``INSERT … ON CONFLICT (event_id) DO NOTHING`` (SQLAlchemy
Core, no ORM session; the pattern of careline.cdr.writer), so an event is in ``acd_call_events`` exactly
once however often it arrives (a republish, a redelivery after a crash or a stop mid-batch). A failed batch
(locked, full or restarting database) is retried whole by the consumer, never dropped.

The events of one database travel on their own subject, ``careline.intake.acd.<log id>``, read by one
durable (shared by the ACD replicas of that database): :func:`call_log_id` is the random id the database
keeps in ``acd_call_log_meta``, so an ACD on another database (another site, another test) never writes
them into the wrong one.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import uuid
from collections.abc import Sequence

from nats.aio.msg import Msg
from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncEngine

from careline.acd.models import CallEventRow, CallLogMetaRow

log = logging.getLogger("careline.acd.call_log")

TABLE = CallEventRow.__table__
META = CallLogMetaRow.__table__
_INSERTS = {"sqlite": sqlite.insert, "postgresql": postgresql.insert}
_TEXT = ("kind", "queue", "call_uuid", "agent_id")
_FLOATS = ("wait_s", "talk_s", "hold_s", "wrap_s", "busy_s", "idle_s")
_INTS = ("handled", "missed")


def decode(raw: Msg) -> list[dict]:
    """An intake message (one event as a JSON object, or several as an array; call_log.intake) as rows of
    acd_call_events. ValueError when it holds no event (the consumer terminates it); an entry that is no
    event is logged and skipped, the others of its message kept."""
    body = json.loads(raw.data)
    rows = []
    for entry in body if isinstance(body, list) else [body]:
        try:
            rows.append(_row(entry))
        except (TypeError, ValueError, KeyError) as err:
            log.error("call event skipped, not an event (%s): %.200r", err, entry)
    if not rows:
        raise ValueError("no call event in the message")
    return rows


def _row(body: dict) -> dict:
    if not isinstance(body, dict) or not body.get("id") or not body.get("kind"):
        raise ValueError("call event without id or kind")
    at = dt.datetime.fromisoformat(body["at"])
    row: dict = {"event_id": str(body["id"]), "at": at if at.tzinfo else at.replace(tzinfo=dt.UTC)}
    row.update({name: str(body.get(name) or "") for name in _TEXT})
    row.update({name: float(body.get(name) or 0.0) for name in _FLOATS})
    row.update({name: int(body.get(name) or 0) for name in _INTS})
    return row


class CallEventWriter:
    """The batch handler of the ACD_INTAKE consumer (``write``); counters for /metrics and tests."""

    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine
        insert = _INSERTS[engine.dialect.name]
        # RETURNING names the rows this statement inserted: an event already stored is skipped, not returned
        self._insert = (
            insert(TABLE)
            .on_conflict_do_nothing(index_elements=[TABLE.c.event_id])
            .returning(TABLE.c.event_id)
        )
        self.stored = 0  # rows this writer inserted
        self.duplicates = 0  # events that were already stored

    async def write(self, batch: Sequence[Sequence[dict]]) -> None:
        """``batch``: the decoded messages of one fetch, each a list of rows."""
        rows = {}
        for message in batch:
            for row in message:
                rows.setdefault(row["event_id"], row)  # the same event twice in one batch: stored once
        if not rows:
            return
        async with self._engine.begin() as conn:
            result = await conn.execute(self._insert, list(rows.values()))
            new = len(result.all())
        self.stored += new
        self.duplicates += len(rows) - new


async def call_log_id(engine: AsyncEngine) -> str:
    """This database's call log id, made on first use (replicas starting together agree: the first insert
    wins, the others read it)."""
    insert = _INSERTS[engine.dialect.name]
    async with engine.begin() as conn:
        await conn.execute(
            insert(META).on_conflict_do_nothing(index_elements=[META.c.key]),
            {"key": "log_id", "value": uuid.uuid4().hex},
        )
        return (await conn.execute(select(META.c.value).where(META.c.key == "log_id"))).scalar_one()


async def committed_through(js, stream: str, durable: str, seq: int) -> bool:
    """True once the writer acked (so committed) every event of its subject up to stream sequence ``seq``."""
    if seq <= 0:
        return True
    info = await js.consumer_info(stream, durable)
    if not info.num_pending and not info.num_ack_pending:
        return True  # nothing stored is waiting or held: everything up to now is written
    return info.ack_floor is not None and (info.ack_floor.stream_seq or 0) >= seq

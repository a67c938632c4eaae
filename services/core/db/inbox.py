"""Durable "already processed?" check for bus consumers (design §4: consumers are idempotent).

Add the table to the service's metadata (and so to its migrations), then in a handler::

    processed = processed_events_table(Base.metadata)          # in models.py

    async def on_cdr(msg):
        async with sessions.begin() as session:
            await claim_event(session, processed, "cdr-writer", msg.meta.event_id)  # AlreadyProcessed?
            session.add(CdrRow(...))                                                 # same transaction

The claim commits with the handler's work, so an event is marked processed exactly when its effects
exist. Two replicas racing on one event: one commit fails on the primary key, its message is nak'ed
and redelivered, and the claim then raises AlreadyProcessed (acked as success).
"""

from __future__ import annotations

from sqlalchemy import Column, DateTime, MetaData, String, Table, func, insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from careline.core.bus import AlreadyProcessed

TABLE_NAME = "processed_events"


def processed_events_table(metadata: MetaData) -> Table:
    """The service's processed_events table (consumer, event_id) -> processed_at."""
    if TABLE_NAME in metadata.tables:
        return metadata.tables[TABLE_NAME]
    return Table(
        TABLE_NAME,
        metadata,
        Column("consumer", String(100), primary_key=True),
        Column("event_id", String(36), primary_key=True),
        Column("processed_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    )


async def claim_event(session: AsyncSession, table: Table, consumer: str, event_id: str) -> None:
    """Record the event as processed in the session's transaction; AlreadyProcessed if it was before."""
    if not event_id:
        raise ValueError("claim_event needs an event id")
    seen = await session.scalar(
        select(table.c.event_id).where(table.c.consumer == consumer, table.c.event_id == event_id)
    )
    if seen is not None:
        raise AlreadyProcessed(event_id)
    await session.execute(insert(table).values(consumer=consumer, event_id=event_id))

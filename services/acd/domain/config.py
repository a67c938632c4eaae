"""Stored configuration: agents and the one queue (R-ADM1). Functions take the session as ``session=``."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from careline.acd.domain.errors import AgentNotFound
from careline.acd.domain.queue import QueueConfig
from careline.acd.models import AgentRow, QueueRow
from careline.core.web import Conflict


async def list_agents(*, session: AsyncSession) -> list[AgentRow]:
    return list((await session.scalars(select(AgentRow).order_by(AgentRow.id))).all())


async def create_agent(agent_id: str, name: str, extension: str, *, session: AsyncSession) -> AgentRow:
    row = AgentRow(id=agent_id, name=name, extension=extension)
    session.add(row)
    try:
        await session.commit()
    except IntegrityError:
        await session.rollback()
        raise Conflict(f"agent {agent_id!r} or extension {extension!r} already exists") from None
    return row


async def update_agent(
    agent_id: str, *, name: str | None, extension: str | None, session: AsyncSession
) -> AgentRow:
    row = await session.get(AgentRow, agent_id)
    if row is None:
        raise AgentNotFound(agent_id)
    row.name = name if name is not None else row.name
    row.extension = extension if extension is not None else row.extension
    try:
        await session.commit()
    except IntegrityError:
        await session.rollback()
        raise Conflict(f"extension {extension!r} already belongs to another agent") from None
    return row


async def delete_agent(agent_id: str, *, session: AsyncSession) -> None:
    row = await session.get(AgentRow, agent_id)
    if row is None:
        raise AgentNotFound(agent_id)
    await session.delete(row)
    await session.commit()


async def load_queue(*, session: AsyncSession) -> QueueConfig | None:
    row = (await session.scalars(select(QueueRow).limit(1))).first()
    if row is None:
        return None
    return QueueConfig(row.name, row.music_on_hold, row.no_answer_timeout_s, row.max_wait_s)


async def save_queue(config: QueueConfig, *, session: AsyncSession) -> QueueConfig:
    """One queue for now: saving replaces whatever was configured before."""
    for row in (await session.scalars(select(QueueRow))).all():
        if row.name != config.name:
            await session.delete(row)
    row = await session.get(QueueRow, config.name) or QueueRow(name=config.name)
    row.music_on_hold = config.music_on_hold
    row.no_answer_timeout_s = config.no_answer_timeout_s
    row.max_wait_s = config.max_wait_s
    session.add(row)
    await session.commit()
    return config

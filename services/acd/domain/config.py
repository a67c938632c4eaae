"""Stored configuration: agents (with their profile) and queues (R-ADM1). Functions take ``session=``."""

from __future__ import annotations

import dataclasses
import json

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from careline.acd.domain.errors import AgentNotFound, QueueNotConfigured
from careline.acd.domain.queue import QueueConfig, Strategy
from careline.acd.models import AgentRow, QueueRow
from careline.core.web import Conflict

_COLUMNS = ("name", "music_on_hold", "no_answer_timeout_s", "max_wait_s")


async def list_agents(*, session: AsyncSession) -> list[AgentRow]:
    return list((await session.scalars(select(AgentRow).order_by(AgentRow.id))).all())


def profile_of(row: AgentRow) -> dict:
    return json.loads(row.profile or "{}")


async def create_agent(
    agent_id: str, name: str, extension: str, profile: dict | None = None, *, session: AsyncSession
) -> AgentRow:
    row = AgentRow(id=agent_id, name=name, extension=extension, profile=json.dumps(profile or {}))
    session.add(row)
    try:
        await session.commit()
    except IntegrityError:
        await session.rollback()
        raise Conflict(f"agent {agent_id!r} or extension {extension!r} already exists") from None
    return row


async def update_agent(
    agent_id: str,
    *,
    name: str | None,
    extension: str | None,
    profile: dict | None = None,
    session: AsyncSession,
) -> AgentRow:
    row = await session.get(AgentRow, agent_id)
    if row is None:
        raise AgentNotFound(agent_id)
    row.name = name if name is not None else row.name
    row.extension = extension if extension is not None else row.extension
    if profile:
        row.profile = json.dumps({**profile_of(row), **profile})
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


def _config(row: QueueRow) -> QueueConfig:
    options = json.loads(row.options or "{}")
    known = {f.name for f in dataclasses.fields(QueueConfig)}
    options = {k: v for k, v in options.items() if k in known}
    if "strategy" in options:
        options["strategy"] = Strategy(options["strategy"])
    return QueueConfig(row.name, row.music_on_hold, row.no_answer_timeout_s, row.max_wait_s, **options)


async def load_queues(*, session: AsyncSession) -> list[QueueConfig]:
    rows = (await session.scalars(select(QueueRow).order_by(QueueRow.name))).all()
    return [_config(row) for row in rows]


async def save_queue(config: QueueConfig, *, session: AsyncSession) -> QueueConfig:
    """Create or replace one queue; the others stay."""
    row = await session.get(QueueRow, config.name) or QueueRow(name=config.name)
    values = dataclasses.asdict(config)
    row.music_on_hold = config.music_on_hold
    row.no_answer_timeout_s = config.no_answer_timeout_s
    row.max_wait_s = config.max_wait_s
    row.options = json.dumps({k: v for k, v in values.items() if k not in _COLUMNS})
    session.add(row)
    await session.commit()
    return config


async def delete_queue(name: str, *, session: AsyncSession) -> None:
    row = await session.get(QueueRow, name)
    if row is None:
        raise QueueNotConfigured(name)
    await session.delete(row)
    await session.commit()

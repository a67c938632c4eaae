"""The ACD's HTTP API (/v1): agents, their states, the queue and its statistics (R-ACD1, R-ACD6, R-ADM1).

Thin routes: parse, call the domain, map the answer. Configuration is stored first, then applied to the
live distributor, so a restart finds what the last successful request set.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import APIRouter, Depends, Request, Response
from sqlalchemy.ext.asyncio import AsyncSession

from careline.acd import schemas
from careline.acd.domain import config as stored
from careline.acd.domain.agents import Agent
from careline.acd.domain.queue import QueueConfig
from careline.acd.domain.routing import Distributor

router = APIRouter(prefix="/v1", tags=["acd"])


def _distributor(request: Request) -> Distributor:
    return request.app.state.distributor


async def _session(request: Request) -> AsyncIterator[AsyncSession]:
    async with request.app.state.runtime.sessions() as session:
        yield session


Acd = Annotated[Distributor, Depends(_distributor)]
Session = Annotated[AsyncSession, Depends(_session)]


def _agent(agent: Agent) -> schemas.AgentRead:
    return schemas.AgentRead(
        id=agent.id,
        name=agent.name,
        extension=agent.extension,
        state=agent.state.value,
        break_reason=agent.break_reason,
        call_uuid=agent.call_uuid,
        handled=agent.handled,
    )


# --- agents ------------------------------------------------------------------------------------------
@router.post("/agents", status_code=201)
async def create_agent(body: schemas.AgentCreate, acd: Acd, session: Session) -> schemas.AgentRead:
    await stored.create_agent(body.id, body.name, body.extension, session=session)
    return _agent(acd.put_agent(body.id, body.name, body.extension))


@router.get("/agents")
async def list_agents(acd: Acd) -> list[schemas.AgentRead]:
    return [_agent(a) for a in sorted(acd.agents.values(), key=lambda a: a.id)]


@router.get("/agents/{agent_id}")
async def get_agent(agent_id: str, acd: Acd) -> schemas.AgentRead:
    return _agent(acd.agent(agent_id))


@router.patch("/agents/{agent_id}")
async def update_agent(
    agent_id: str, body: schemas.AgentUpdate, acd: Acd, session: Session
) -> schemas.AgentRead:
    row = await stored.update_agent(agent_id, name=body.name, extension=body.extension, session=session)
    return _agent(acd.put_agent(row.id, row.name, row.extension))


@router.delete("/agents/{agent_id}", status_code=204)
async def delete_agent(agent_id: str, acd: Acd, session: Session) -> Response:
    acd.remove_agent(agent_id)  # refuses an agent on a call before anything is deleted
    await stored.delete_agent(agent_id, session=session)
    return Response(status_code=204)


@router.post("/agents/{agent_id}/login")
async def log_in(agent_id: str, acd: Acd) -> schemas.AgentRead:
    return _agent(acd.log_in(agent_id))


@router.post("/agents/{agent_id}/available")
async def make_available(agent_id: str, acd: Acd) -> schemas.AgentRead:
    return _agent(acd.make_available(agent_id))


@router.post("/agents/{agent_id}/break")
async def take_break(agent_id: str, body: schemas.BreakRequest, acd: Acd) -> schemas.AgentRead:
    return _agent(acd.take_break(agent_id, body.reason))


@router.post("/agents/{agent_id}/logout")
async def log_out(agent_id: str, acd: Acd) -> schemas.AgentRead:
    return _agent(acd.log_out(agent_id))


# --- the queue ---------------------------------------------------------------------------------------
@router.put("/queue")
async def configure_queue(
    body: schemas.QueueConfigBody, acd: Acd, session: Session
) -> schemas.QueueConfigBody:
    config = QueueConfig(body.name, body.music_on_hold, body.no_answer_timeout_s, body.max_wait_s)
    await stored.save_queue(config, session=session)
    acd.configure_queue(config)
    return body


@router.get("/queue")
async def queue_snapshot(acd: Acd) -> schemas.QueueSnapshot:
    queue = acd.require_queue()
    now = acd.clock()
    cfg = queue.config
    waiting = [
        schemas.WaitingCallRead(
            call_uuid=c.call_uuid,
            caller_number=c.caller_number,
            position=place,
            wait_s=round(c.wait_s(now), 3),
            vip=c.vip,
            offered_to=c.offered_to,
            over_max_wait=c.wait_s(now) > cfg.max_wait_s,
        )
        for place, c in enumerate(queue.ordered(), start=1)
    ]
    return schemas.QueueSnapshot(
        config=schemas.QueueConfigBody(
            name=cfg.name,
            music_on_hold=cfg.music_on_hold,
            no_answer_timeout_s=cfg.no_answer_timeout_s,
            max_wait_s=cfg.max_wait_s,
        ),
        waiting=waiting,
        agents=[_agent(a) for a in sorted(acd.agents.values(), key=lambda a: a.id)],
    )


@router.get("/stats")
async def stats(acd: Acd) -> schemas.StatsRead:
    s = acd.stats
    return schemas.StatsRead(
        offered=s.offered,
        answered=s.answered,
        abandoned=s.abandoned,
        waiting=len(acd.queue) if acd.queue else 0,
        mean_wait_s=round(s.mean_wait_s, 3),
        max_wait_s=round(s.max_wait_s, 3),
        handled_by_agent=dict(s.handled_by_agent),
    )

"""The ACD's HTTP API (/v1): agents, their states, queues and statistics (R-ACD1, R-ACD6, R-ADM1).

Thin routes: parse, call the domain, map the answer. Configuration is stored first, then applied to the
live distributor, so a restart finds what the last successful request set. ``/v1/queue`` is the
one-queue form kept for the IVR's first day; ``/v1/queues/{name}`` manages several.
"""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Request, Response
from sqlalchemy.ext.asyncio import AsyncSession

from careline.acd import schemas
from careline.acd.domain import config as stored
from careline.acd.domain.agents import Agent
from careline.acd.domain.queue import CallQueue, QueueConfig
from careline.acd.domain.routing import Distributor
from careline.acd.domain.stats import QueueStats
from careline.core.web import Conflict

router = APIRouter(prefix="/v1", tags=["acd"])
QUEUE_NAME = r"^[A-Za-z0-9_-]{1,64}$"


def _distributor(request: Request) -> Distributor:
    return request.app.state.distributor


async def _session(request: Request) -> AsyncIterator[AsyncSession]:
    async with request.app.state.runtime.sessions() as session:
        yield session


Acd = Annotated[Distributor, Depends(_distributor)]
Session = Annotated[AsyncSession, Depends(_session)]


def agent_read(agent: Agent, now: float) -> schemas.AgentRead:
    left = max(0.0, agent.wrap_until - now) if agent.wrap_until is not None else None
    return schemas.AgentRead(
        id=agent.id,
        name=agent.name,
        extension=agent.extension,
        state=agent.state.value,
        break_reason=agent.break_reason,
        call_uuid=agent.call_uuid,
        handled=agent.handled,
        skills=agent.skills,
        queues=sorted(agent.queues),
        expert=agent.expert,
        on_hold=agent.on_hold,
        busy_outside=bool(agent.outside_legs),
        wrap_up_left_s=round(left, 3) if left is not None else None,
        workload=schemas.WorkloadRead(**agent.workload.as_dict()),
    )


def _profile(body: schemas.AgentProfile) -> dict:
    return body.model_dump(include={"skills", "queues", "expert"}, exclude_none=True)


# --- agents ------------------------------------------------------------------------------------------
@router.post("/agents", status_code=201)
async def create_agent(body: schemas.AgentCreate, acd: Acd, session: Session) -> schemas.AgentRead:
    profile = _profile(body)
    await stored.create_agent(body.id, body.name, body.extension, profile, session=session)
    return agent_read(acd.put_agent(body.id, body.name, body.extension, **profile), acd.clock())


@router.get("/agents")
async def list_agents(acd: Acd) -> list[schemas.AgentRead]:
    return [agent_read(a, acd.clock()) for a in sorted(acd.agents.values(), key=lambda a: a.id)]


@router.get("/agents/{agent_id}")
async def get_agent(agent_id: str, acd: Acd) -> schemas.AgentRead:
    return agent_read(acd.agent(agent_id), acd.clock())


@router.patch("/agents/{agent_id}")
async def update_agent(
    agent_id: str, body: schemas.AgentUpdate, acd: Acd, session: Session
) -> schemas.AgentRead:
    profile = _profile(body)
    row = await stored.update_agent(
        agent_id, name=body.name, extension=body.extension, profile=profile, session=session
    )
    return agent_read(acd.put_agent(row.id, row.name, row.extension, **profile), acd.clock())


@router.delete("/agents/{agent_id}", status_code=204)
async def delete_agent(agent_id: str, acd: Acd, session: Session) -> Response:
    acd.remove_agent(agent_id)  # refuses an agent on a call before anything is deleted
    await stored.delete_agent(agent_id, session=session)
    return Response(status_code=204)


@router.post("/agents/{agent_id}/login")
async def log_in(agent_id: str, acd: Acd) -> schemas.AgentRead:
    return agent_read(acd.log_in(agent_id), acd.clock())


@router.post("/agents/{agent_id}/available")
async def make_available(agent_id: str, acd: Acd) -> schemas.AgentRead:
    return agent_read(acd.make_available(agent_id), acd.clock())


@router.post("/agents/{agent_id}/break")
async def take_break(agent_id: str, body: schemas.BreakRequest, acd: Acd) -> schemas.AgentRead:
    return agent_read(acd.take_break(agent_id, body.reason), acd.clock())


@router.post("/agents/{agent_id}/logout")
async def log_out(agent_id: str, acd: Acd) -> schemas.AgentRead:
    return agent_read(acd.log_out(agent_id), acd.clock())


@router.post("/agents/{agent_id}/wrap-up/extend")
async def extend_wrap_up(agent_id: str, body: schemas.ExtendWrapUp, acd: Acd) -> schemas.AgentRead:
    return agent_read(acd.extend_wrap_up(agent_id, body.seconds), acd.clock())


# --- queues ------------------------------------------------------------------------------------------
def _body(config: QueueConfig) -> schemas.QueueConfigBody:
    return schemas.QueueConfigBody(**dataclasses.asdict(config))


def snapshot(acd: Distributor, queue: CallQueue) -> schemas.QueueSnapshot:
    now, cfg = acd.clock(), queue.config
    waiting = [
        schemas.WaitingCallRead(
            call_uuid=c.call_uuid,
            caller_number=c.caller_number,
            position=place,
            wait_s=round(c.wait_s(now), 3),
            vip=c.vip,
            priority=c.rank,
            offered_to=c.offered_to,
            over_max_wait=now - c.entered_at > cfg.max_wait_s,
        )
        for place, c in enumerate(queue.ordered(), start=1)
    ]
    agents = sorted(acd.agents.values(), key=lambda a: a.id)
    return schemas.QueueSnapshot(
        config=_body(cfg), waiting=waiting, agents=[agent_read(a, now) for a in agents]
    )


async def _save(body: schemas.QueueConfigBody, acd: Distributor, session: AsyncSession):
    config = QueueConfig(**body.model_dump())
    await stored.save_queue(config, session=session)
    acd.configure_queue(config)
    return _body(config)


@router.put("/queue")
async def configure_queue(
    body: schemas.QueueConfigBody, acd: Acd, session: Session
) -> schemas.QueueConfigBody:
    return await _save(body, acd, session)


@router.get("/queue")
async def queue_snapshot(acd: Acd) -> schemas.QueueSnapshot:
    return snapshot(acd, acd.require_queue())


@router.put("/queues/{name}")
async def put_queue(
    name: Annotated[str, Path(pattern=QUEUE_NAME)],
    body: schemas.QueueOptions,
    acd: Acd,
    session: Session,
) -> schemas.QueueConfigBody:
    return await _save(schemas.QueueConfigBody(name=name, **body.model_dump()), acd, session)


@router.get("/queues")
async def list_queues(acd: Acd) -> list[schemas.QueueSnapshot]:
    return [snapshot(acd, q) for _, q in sorted(acd.queues.items())]


@router.get("/queues/{name}")
async def get_queue(name: str, acd: Acd) -> schemas.QueueSnapshot:
    return snapshot(acd, acd.require_queue(name))


@router.delete("/queues/{name}", status_code=204)
async def delete_queue(name: str, acd: Acd, session: Session) -> Response:
    if len(acd.require_queue(name)):
        raise Conflict(f"queue {name!r} has callers waiting")
    await stored.delete_queue(name, session=session)
    del acd.queues[name]
    return Response(status_code=204)


# --- statistics --------------------------------------------------------------------------------------
def _stats(s: QueueStats, waiting: int) -> dict:
    return {
        "offered": s.offered,
        "answered": s.answered,
        "abandoned": s.abandoned,
        "overflowed": s.overflowed,
        "waiting": waiting,
        "mean_wait_s": round(s.mean_wait_s, 3),
        "max_wait_s": round(s.max_wait_s, 3),
    }


@router.get("/stats")
async def stats(acd: Acd) -> schemas.StatsRead:
    queues = {name: schemas.QueueStatsRead(**_stats(q.stats, len(q))) for name, q in acd.queues.items()}
    return schemas.StatsRead(
        **_stats(acd.stats, sum(len(q) for q in acd.queues.values())),
        handled_by_agent=dict(acd.stats.handled_by_agent),
        queues=queues,
        workload={a.id: schemas.WorkloadRead(**a.workload.as_dict()) for a in acd.agents.values()},
    )


# --- an agent's call controls (R-ACD3) ----------------------------------------------------------------
from careline.acd.api_calls import router as _calls_router  # noqa: E402  (it renders with agent_read)

router.include_router(_calls_router)

from careline.acd.api_supervisor import router as _supervisor_router  # noqa: E402

router.include_router(_supervisor_router)

from careline.acd.api_stats import router as _stats_router  # noqa: E402

router.include_router(_stats_router)

from careline.acd.api_consult import router as _consult_router  # noqa: E402

router.include_router(_consult_router)

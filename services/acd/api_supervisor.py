"""The supervisor's seat over HTTP (R-SUP1, R-REC2, R-ACD6): snapshot, SSE stream, forced states,
listen / whisper / barge, agents' help requests."""

from __future__ import annotations

import asyncio
import json
import uuid as uuidlib
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import StreamingResponse

from careline.acd import schemas
from careline.acd.domain.controls import CallControls
from careline.acd.domain.supervision import seat_counts
from careline.acd.supervision import Supervision
from careline.core.web import Conflict

router = APIRouter(tags=["acd supervisor"])


def _supervision(request: Request) -> Supervision:
    return request.app.state.supervision


def _controls(request: Request) -> CallControls:
    return request.app.state.controls


Sup = Annotated[Supervision, Depends(_supervision)]
Controls = Annotated[CallControls, Depends(_controls)]


def _agent_read(sup: Supervision, agent) -> schemas.AgentRead:
    from careline.acd.api import agent_read  # api.py includes this router

    return agent_read(agent, sup.acd.clock())


@router.get("/supervisor/snapshot")
async def snapshot(sup: Sup) -> schemas.SupervisorSnapshot:
    acd, now = sup.acd, sup.acd.clock()
    queues = [
        schemas.QueueLive(
            name=name,
            waiting=len(q),
            longest_wait_s=round(max((c.wait_s(now) for c in q.ordered()), default=0.0), 3),
            offered=q.stats.offered,
            answered=q.stats.answered,
            abandoned=q.stats.abandoned,
            service_level=q.stats.service_level(),
        )
        for name, q in sorted(acd.queues.items())
    ]
    agents = sorted(acd.agents.values(), key=lambda a: a.id)
    return schemas.SupervisorSnapshot(
        seats=schemas.SeatCounts(**seat_counts(agents)),
        queues=queues,
        agents=[_agent_read(sup, a) for a in agents],
        help_requests=[schemas.HelpRead(**r.as_dict()) for r in sup.help.open()],
        alarms=[schemas.AlarmRead(**a.as_dict()) for a in sup.board.active.values()],
    )


@router.get("/supervisor/events", response_class=StreamingResponse)
async def events(
    sup: Sup,
    max_events: Annotated[int, Query(ge=0, description="end after this many events (0: never)")] = 0,
) -> StreamingResponse:
    """Server-sent events: ``agent``, ``queue``, ``alarm``, ``help``; a comment every 15 s keeps it open.

    The stream starts with the present (every agent, queue, active alarm), then every change."""
    sup.watcher.look(sup.acd)  # older changes go to older streams; no await from here to present()
    reader = sup.feed.subscribe()
    for kind, data in sup.present():
        reader.put_nowait((kind, data))

    async def stream():
        sent = 0
        try:
            yield ": careline acd supervisor stream\n\n"
            while not max_events or sent < max_events:
                try:
                    kind, data = await asyncio.wait_for(reader.get(), 15)
                except TimeoutError:
                    yield ": keep-alive\n\n"
                    continue
                yield f"event: {kind}\ndata: {json.dumps(data)}\n\n"
                sent += 1
        finally:
            sup.feed.unsubscribe(reader)

    return StreamingResponse(stream(), media_type="text/event-stream")


@router.post("/supervisor/agents/{agent_id}/state")
async def force_state(agent_id: str, body: schemas.ForceState, sup: Sup) -> schemas.AgentRead:
    acd = sup.acd
    if body.state == "available":
        agent = acd.make_available(agent_id)
    elif body.state == "on_break":
        agent = acd.take_break(agent_id, body.reason)
    else:
        agent = acd.log_out(agent_id)
    return _agent_read(sup, agent)


@router.post("/supervisor/eavesdrop")
async def eavesdrop(body: schemas.EavesdropRequest, controls: Controls) -> schemas.EavesdropRead:
    agent, bridge = controls.call_of(body.agent)
    leg = str(uuidlib.uuid4())
    switch = controls.acd.switch
    ok, cause = await switch.eavesdrop(body.extension, leg, agent.leg_uuid, body.mode, bridge.call_uuid)
    if not ok:
        raise Conflict(f"the supervisor's phone did not answer ({cause})")
    return schemas.EavesdropRead(leg_uuid=leg, target_uuid=agent.leg_uuid, mode=body.mode)


@router.post("/agents/{agent_id}/help", status_code=201)
async def raise_hand(agent_id: str, body: schemas.HelpRaise, sup: Sup) -> schemas.HelpRead:
    request = sup.help.raise_hand(sup.acd.agent(agent_id), body.message, sup.acd.clock())
    return schemas.HelpRead(**request.as_dict())


@router.post("/supervisor/help/{request_id}/ack")
async def acknowledge(request_id: int, body: schemas.HelpAck, sup: Sup) -> schemas.HelpRead:
    return schemas.HelpRead(**sup.help.acknowledge(request_id, body.supervisor).as_dict())

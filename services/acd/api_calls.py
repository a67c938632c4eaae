"""An agent's call controls over HTTP (R-ACD3, R-ACD4, R-ACD5): /v1/agents/{id}/call/...

Every control answers the agent as they now are; 409 with a reason when the agent has no call.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request

from careline.acd import schemas
from careline.acd.domain.controls import CallControls
from careline.core.web import DomainError

router = APIRouter(prefix="/agents/{agent_id}/call", tags=["acd calls"])


def _controls(request: Request) -> CallControls:
    return request.app.state.controls


Controls = Annotated[CallControls, Depends(_controls)]


def _read(controls: CallControls, agent) -> schemas.AgentRead:
    from careline.acd.api import agent_read  # api.py includes this router

    return agent_read(agent, controls.acd.clock())


@router.post("/hold")
async def hold(agent_id: str, controls: Controls) -> schemas.AgentRead:
    return _read(controls, await controls.hold(agent_id, True))


@router.post("/unhold")
async def unhold(agent_id: str, controls: Controls) -> schemas.AgentRead:
    return _read(controls, await controls.hold(agent_id, False))


@router.post("/hangup")
async def hang_up(agent_id: str, controls: Controls) -> schemas.AgentRead:
    return _read(controls, await controls.hang_up(agent_id))


@router.post("/transfer")
async def transfer(agent_id: str, body: schemas.TransferRequest, controls: Controls) -> schemas.AgentRead:
    targets = [t for t in (body.agent, body.queue, body.number) if t]
    if len(targets) != 1:
        raise DomainError("give exactly one of agent, queue, number")
    if body.agent:
        agent = await controls.to_agent(agent_id, body.agent)
    elif body.queue:
        agent = await controls.to_queue(agent_id, body.queue)
    else:
        agent = await controls.to_number(agent_id, body.number)
    return _read(controls, agent)


@router.post("/dial")
async def dial(agent_id: str, body: schemas.DialRequest, controls: Controls) -> schemas.OutboundRead:
    out = await controls.dial_out(agent_id, body.number, body.call_data)
    return schemas.OutboundRead(
        agent=_read(controls, controls.acd.agent(agent_id)),
        agent_leg=out.agent_leg,
        number_leg=out.number_leg,
    )

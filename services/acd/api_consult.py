"""Attended transfer and three-way conference over HTTP (R-ACD3): /v1/agents/{id}/call/consult[...] and
/v1/agents/{id}/call/conference. 409 with a reason without a call, or without an open consultation."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel

from careline.acd import schemas
from careline.acd.domain.consult import Consultations

router = APIRouter(prefix="/agents/{agent_id}/call", tags=["acd calls"])


def _consultations(request: Request) -> Consultations:
    return request.app.state.consultations


Consult = Annotated[Consultations, Depends(_consultations)]


class PartyRequest(BaseModel):
    agent: str | None = None
    number: str | None = None


class ConferenceRead(BaseModel):
    room: str
    agent: schemas.AgentRead


def _read(consult: Consultations, agent) -> schemas.AgentRead:
    from careline.acd.api import agent_read

    return agent_read(agent, consult.acd.clock())


@router.post("/consult")
async def consult(agent_id: str, body: PartyRequest, c: Consult) -> schemas.AgentRead:
    """The caller waits on hold while the agent talks to a colleague or a number."""
    return _read(c, await c.consult(agent_id, body.agent, body.number))


@router.post("/consult/complete")
async def complete(agent_id: str, c: Consult) -> schemas.AgentRead:
    """The caller is bridged to the consulted party; the agent wraps up."""
    return _read(c, await c.complete(agent_id))


@router.post("/consult/cancel")
async def cancel(agent_id: str, c: Consult) -> schemas.AgentRead:
    """The consulted party is hung up; the agent is back with the caller."""
    return _read(c, await c.cancel(agent_id))


@router.post("/conference")
async def conference(agent_id: str, body: PartyRequest, c: Consult) -> ConferenceRead:
    """Caller, agent and a third party (agent or number) together in a conference room."""
    room = await c.conference(agent_id, body.agent, body.number)
    return ConferenceRead(room=room, agent=_read(c, c.acd.agent(agent_id)))

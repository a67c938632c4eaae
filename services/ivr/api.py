"""The IVR's HTTP API: the drain switch the pod's preStop hook uses (design §9, deploy/drain.py).

``POST /v1/drain`` turns ``/readyz`` to 503, so Kubernetes takes the pod out of the Service FreeSWITCH
dials; calls that still arrive are served (refusing them would drop a patient), and the hook polls
``GET /v1/drain`` until ``active_calls`` is 0.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from pydantic import BaseModel

router = APIRouter(prefix="/v1", tags=["drain"])


class DrainStatus(BaseModel):
    draining: bool
    active_calls: int


def _status(request: Request) -> DrainStatus:
    state = request.app.state
    return DrainStatus(draining=state.draining, active_calls=state.socket_server.active_calls)


@router.post("/drain", response_model=DrainStatus)
async def start_drain(request: Request) -> DrainStatus:
    request.app.state.draining = True
    return _status(request)


@router.get("/drain", response_model=DrainStatus)
async def drain_status(request: Request) -> DrainStatus:
    return _status(request)

"""Expert conference HTTP API (R-EXP6): seat authorisation, the room as the expert sees it, promotion."""

from __future__ import annotations

from dataclasses import asdict
from typing import Annotated, Literal

from fastapi import APIRouter, Request
from pydantic import BaseModel, Field

from careline.billing.schemas import ConsultationAuthOut

router = APIRouter(prefix="/v1/conferences", tags=["conferences"])


class SeatIn(BaseModel):
    """A caller's seat in an expert conference; idempotent by the caller's call uuid."""

    call_uuid: Annotated[str, Field(min_length=1, max_length=64)]
    card_number: Annotated[str, Field(pattern=r"^[0-9A-Za-z]{4,32}$")]
    role: Literal["speaker", "listener"]
    category: str = "*"
    lang: Literal["zh", "en"] = "zh"


class SeatOut(ConsultationAuthOut):
    service: str


class MemberOut(BaseModel):
    call_uuid: str
    member_id: int
    role: str
    hand_raised: bool
    speaking: bool


class RoomOut(BaseModel):
    name: str
    expert_present: bool
    members: list[MemberOut]


@router.post("/{name}/seats", response_model=SeatOut)
async def authorise_seat(name: str, body: SeatIn, request: Request) -> dict:
    """Hold funds for a speaker or listener seat and set the switch's backstop, before the caller joins
    the conference (402 cannot pay one minute, 423 locked card, 503 backstop not set). A free listener
    seat holds nothing."""
    auth = await request.app.state.conferences.authorise(**body.model_dump(), conference=name)
    return asdict(auth)


@router.get("/{name}", response_model=RoomOut)
async def room(name: str, request: Request) -> dict:
    """Members with their role, raised hands and who may speak — the expert's view (404 not running)."""
    return request.app.state.conferences.room(name)


@router.post("/{name}/members/{member_id}/promote", response_model=RoomOut)
async def promote(name: str, member_id: int, request: Request) -> dict:
    """The expert lets a speaker talk (`conference <name> unmute <member id>`); 409 for a listener."""
    return await request.app.state.conferences.promote(name, member_id)

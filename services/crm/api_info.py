"""Information content over HTTP under /v1 (R-INFO1, R-ADM3): thin routes over :mod:`careline.crm.info`."""

from __future__ import annotations

from dataclasses import asdict
from typing import Annotated

from fastapi import APIRouter, Path, Response

from careline.crm import info
from careline.crm.api import Session
from careline.crm.clock import utc
from careline.crm.models import InfoItem
from careline.crm.schemas_info import InfoAnswerOut, InfoIn, InfoOut, InfoPatch

router = APIRouter(prefix="/v1", tags=["information"])
Number = Annotated[int, Path(ge=0, le=999999)]


def info_out(row: InfoItem) -> InfoOut:
    out = InfoOut.model_validate(row)
    out.updated_at = utc(out.updated_at)
    return out


@router.post("/info", status_code=201, response_model=InfoOut)
async def create_item(body: InfoIn, session: Session) -> InfoOut:
    return info_out(await info.create_item(body, session=session))


@router.get("/info", response_model=list[InfoOut])
async def list_items(session: Session, kind: str | None = None, enabled: bool | None = None) -> list[InfoOut]:
    return [info_out(r) for r in await info.list_items(session=session, kind=kind, enabled=enabled)]


@router.get("/info/lookup/{kind}/{number}", response_model=InfoAnswerOut)
async def look_up(kind: str, number: Number, session: Session) -> InfoAnswerOut:
    """As a caller hears it: switched-off items answer found=false, reason=disabled (never a 404)."""
    return InfoAnswerOut(**asdict(await info.look_up(kind, number, session=session)))


@router.get("/info/{kind}/{number}", response_model=InfoOut)
async def get_item(kind: str, number: Number, session: Session) -> InfoOut:
    return info_out(await info.get_item(kind, number, session=session))


@router.patch("/info/{kind}/{number}", response_model=InfoOut)
async def update_item(kind: str, number: Number, body: InfoPatch, session: Session) -> InfoOut:
    return info_out(await info.update_item(kind, number, body, session=session))


@router.delete("/info/{kind}/{number}", status_code=204)
async def delete_item(kind: str, number: Number, session: Session) -> Response:
    await info.delete_item(kind, number, session=session)
    return Response(status_code=204)

"""Kiosk HTTP routes (R-REG6): card + PIN → today's registrations → check-in → slip (JSON or HTML)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse

from careline.billing.kiosk import Kiosk, slip_html
from careline.billing.registration.schemas import KioskIn, KioskToday, SlipOut

router = APIRouter(prefix="/v1/kiosk", tags=["kiosk"])


def _kiosk(request: Request) -> Kiosk:
    return request.app.state.kiosk


KioskDep = Annotated[Kiosk, Depends(_kiosk)]


@router.post("/registrations", response_model=KioskToday)
async def today(body: KioskIn, kiosk: KioskDep) -> dict:
    """Today's formal registrations of the card (hospital clock); 401 wrong PIN, 423 locked."""
    return await kiosk.today(body.card_number, body.pin)


@router.post("/registrations/{registration_id}/check-in", response_model=SlipOut)
async def check_in(registration_id: str, body: KioskIn, kiosk: KioskDep) -> dict:
    """Check in (today, before the day ends); answers the slip. Checking in twice is the same slip."""
    return await kiosk.check_in(body.card_number, body.pin, registration_id)


@router.post("/registrations/{registration_id}/slip", response_model=SlipOut)
async def slip(registration_id: str, body: KioskIn, kiosk: KioskDep) -> dict:
    return await kiosk.slip(body.card_number, body.pin, registration_id)


@router.post("/registrations/{registration_id}/slip.html", response_class=HTMLResponse)
async def slip_page(registration_id: str, body: KioskIn, kiosk: KioskDep) -> HTMLResponse:
    """The slip as a printable page (80 mm receipt)."""
    return HTMLResponse(slip_html(await kiosk.slip(body.card_number, body.pin, registration_id)))

"""The self-service kiosk at the hospital (R-REG6): card + PIN → today's formal registrations → check-in
→ the registration slip, as JSON and as a printable HTML page.

Every kiosk call carries the card and PIN (the kiosk keeps no session): a wrong PIN counts toward the
card's lock-out like anywhere else. A registration of another card is "not found" — the kiosk never
says whose it is. Check-in is allowed on the visit's day only, before it expires (after that the no-show
refund may already have run, R-REG5); checking in twice answers the same slip.
"""

from __future__ import annotations

import html
from typing import Any

from sqlalchemy import update

from careline.billing import rating
from careline.billing.errors import Conflict, NotFound
from careline.billing.registration import Registrations, as_utc
from careline.billing.registration.models import BOOKED, CHECKED_IN, Registration
from careline.billing.registration.seats import SeatRefused

SHOWN = (BOOKED, CHECKED_IN)


class Kiosk:
    def __init__(self, registrations: Registrations) -> None:
        self.registrations = registrations

    async def today(self, card_number: str, pin: str) -> dict[str, Any]:
        auth = await self.registrations.billing.authenticate(card_number, pin)
        day = self.registrations.today()
        rows = await self.registrations.list(card_number=card_number, day=day)
        return {
            "card_number": card_number,
            "patient_id": auth.patient_id,
            "day": day,
            "balance_fen": auth.balance_fen,
            "registrations": [r for r in rows if r["state"] in SHOWN],
        }

    async def check_in(self, card_number: str, pin: str, registration_id: str) -> dict[str, Any]:
        row = await self._mine(card_number, pin, registration_id)
        if row["state"] == CHECKED_IN:
            return self.slip_of(row)
        if row["state"] != BOOKED:
            raise Conflict(f"registration {registration_id} is {row['state']}; it cannot check in")
        now = self.registrations.clock()
        if row["local_day"] != self.registrations.today():
            raise Conflict(f"registration {registration_id} is for {row['local_day']}, not today")
        if row["expires_at"] is not None and now >= row["expires_at"]:
            raise Conflict(f"registration {registration_id} has expired")
        try:
            await self.registrations.seats.check_in(registration_id)
        except SeatRefused as refused:
            if refused.code != "conflict":
                raise
            seat = await self.registrations.seats.status(registration_id)  # checked in at a desk?
            if seat.status != "checked_in":
                raise
        async with self.registrations.sessions.begin() as session:
            await session.execute(
                update(Registration)
                .where(Registration.id == registration_id, Registration.state == BOOKED)
                .values(state=CHECKED_IN, version=Registration.version + 1, checked_in_at=now)
            )
        row = await self.registrations.get(registration_id)
        if row["state"] != CHECKED_IN:  # the no-show sweep won the race at midnight
            raise Conflict(f"registration {registration_id} is {row['state']}")
        return self.slip_of(row)

    async def slip(self, card_number: str, pin: str, registration_id: str) -> dict[str, Any]:
        row = await self._mine(card_number, pin, registration_id)
        if row["state"] != CHECKED_IN:
            raise Conflict("check in first; the slip is printed after check-in")
        return self.slip_of(row)

    async def _mine(self, card_number: str, pin: str, registration_id: str) -> dict[str, Any]:
        await self.registrations.billing.authenticate(card_number, pin)
        try:
            row = await self.registrations.get(registration_id)
        except NotFound:
            row = None
        if row is None or row["card_number"] != card_number:
            raise NotFound(f"no registration {registration_id} on this card")
        return row

    def slip_of(self, row: dict[str, Any]) -> dict[str, Any]:
        zone = self.registrations.zone
        starts = as_utc(row["starts_at"])
        checked = as_utc(row["checked_in_at"])
        return {
            "registration_id": row["id"],
            "confirmation_code": row["confirmation_code"],
            "patient_name": row["patient_name"],
            "card_number_masked": _mask(row["card_number"]),
            "department_code": row["department_code"],
            "department_name": row["department_name"],
            "expert_number": row["expert_number"],
            "expert_name": row["expert_name"],
            "visit_day": row["local_day"],
            "visit_time": starts.astimezone(zone).strftime("%H:%M") if starts else "",
            "fee_fen": row["fee_fen"],
            "fee_yuan": rating.yuan(row["fee_fen"]),
            "checked_in_at": checked.astimezone(zone).isoformat(timespec="seconds") if checked else None,
            "printed_at": self.registrations.clock().astimezone(zone).isoformat(timespec="seconds"),
            "time_zone": str(zone),
        }


def _mask(card_number: str) -> str:
    return "*" * max(0, len(card_number) - 4) + card_number[-4:]


def slip_html(slip: dict[str, Any]) -> str:
    """A printable registration slip (one page, 80 mm receipt width); every value HTML-escaped."""
    expert = f"{slip['expert_name']}（{slip['expert_number']}号专家）" if slip["expert_number"] else ""
    lines = [
        ("挂号单号 Registration", slip["registration_id"]),
        ("确认码 Code", slip["confirmation_code"]),
        ("患者 Patient", slip["patient_name"]),
        ("就诊卡 Card", slip["card_number_masked"]),
        ("科室 Department", f"{slip['department_name']} ({slip['department_code']})"),
        ("专家 Expert", expert or "—"),
        ("就诊时间 Visit", f"{slip['visit_day']} {slip['visit_time']}"),
        ("挂号费 Fee", f"¥{slip['fee_yuan']}"),
        ("签到 Checked in", slip["checked_in_at"] or "—"),
        ("打印 Printed", slip["printed_at"]),
    ]
    rows = "\n".join(
        f"<tr><th>{html.escape(str(k))}</th><td>{html.escape(str(v))}</td></tr>" for k, v in lines
    )
    return f"""<!doctype html>
<html lang="zh"><head><meta charset="utf-8"><title>挂号单 {html.escape(slip["confirmation_code"])}</title>
<style>
@page {{ size: 80mm auto; margin: 4mm; }}
body {{ font-family: sans-serif; width: 72mm; margin: 0 auto; font-size: 12px; }}
h1 {{ font-size: 16px; text-align: center; margin: 0 0 6px; }}
th {{ text-align: left; font-weight: normal; color: #444; padding-right: 6px; vertical-align: top; }}
.code {{ font-size: 22px; text-align: center; letter-spacing: 4px; margin: 8px 0; }}
</style></head>
<body onload="window.print()">
<h1>挂号单 Registration slip</h1>
<div class="code">{html.escape(slip["confirmation_code"])}</div>
<table>
{rows}
</table>
</body></html>
"""

"""Formal registration end to end over the real wires (R-REG4, R-REG5, R-REG6): the billing app and the
CRM app on a real nats-server — registration over HTTP and over NATS (quote, then book), a full slot
refused with nothing charged, the kiosk (today's registrations, check-in, slip JSON and printable HTML),
the no-show refund at the end of the visit's day, and the revenue report. Billing's clock is moved by
the test; the CRM keeps the real one (the visit is tomorrow, so its slots are open)."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import httpx
import pytest

from careline import subjects
from careline.billing.app import create_app as billing_app
from careline.core.db import sqlite_url
from careline.core.ids import uuid7
from careline.crm.app import create_app as crm_app
from careline.crm.settings import CrmSettings
from careline.v1.billing_pb2 import RegistrationReply, RegistrationRequest
from tests.fixtures.billing import billing_settings
from tests.fixtures.billing_registration import FakeClock

ZONE = ZoneInfo("Asia/Shanghai")
DAY = dt.datetime.now(ZONE).date() + dt.timedelta(days=1)


def local(day: dt.date, hh: int, mm: int = 0) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hh, mm), tzinfo=ZONE).astimezone(dt.UTC)


@pytest.fixture
async def apps(db_url, nats_url, tmp_path):
    crm = crm_app(
        CrmSettings(
            env="test",
            db_url=sqlite_url(tmp_path / "crm.db"),
            nats_url=nats_url,
            esl_enabled=False,
            cdr_durable=f"crm-{uuid7()[-12:]}",
        )
    )
    billing = billing_app(billing_settings(db_url, nats_url=nats_url, registration_sweep_s=3600))
    async with crm.router.lifespan_context(crm), billing.router.lifespan_context(billing):
        clock = FakeClock(local(DAY, 8))
        billing.state.registrations.clock = clock
        t_crm, t_billing = httpx.ASGITransport(app=crm), httpx.ASGITransport(app=billing)
        async with (
            httpx.AsyncClient(transport=t_crm, base_url="http://crm") as c,
            httpx.AsyncClient(transport=t_billing, base_url="http://billing") as b,
        ):
            yield c, b, billing, clock


async def setup_hospital(crm, billing_http) -> str:
    assert (await crm.post("/v1/departments", json={"code": "11", "name": "内科"})).status_code == 201
    schedule = await crm.post(
        "/v1/schedules",
        json={
            "department_code": "11",
            "day": DAY.isoformat(),
            "slots": [
                {"start": "10:00", "end": "10:30", "capacity": 2},
                {"start": "11:00", "end": "11:30", "capacity": 1},
            ],
        },
    )
    assert schedule.status_code == 201, schedule.text
    for card in ("66001", "66002", "66003"):
        await crm.post("/v1/patients", json={"name": f"患者{card}", "card_numbers": [card]})
        sale = {
            "idempotency_key": f"sale-{card}",
            "card_number": card,
            "patient_id": f"p-{card}",
            "pin": "2468",
            "opening_balance_fen": 2000,
        }
        assert (await billing_http.post("/v1/cards", json=sale)).status_code == 201
    return schedule.json()["slots"][1]["id"]


async def balance(http, card: str) -> int:
    return (await http.get(f"/v1/cards/{card}")).json()["balance_fen"]


async def test_register_check_in_refund_and_report(apps, bus):
    crm, http, app, clock = apps
    small_slot = await setup_hospital(crm, http)
    body = {"card_number": "66001", "pin": "2468", "department_code": "11", "day": DAY.strftime("%Y%m%d")}
    first = await http.post("/v1/registrations", json={"idempotency_key": "r-a", **body, "start": "1000"})
    assert first.status_code == 201, first.text
    again = await http.post("/v1/registrations", json={"idempotency_key": "r-a", **body, "start": "1000"})
    assert again.json() == first.json() and await balance(http, "66001") == 1500

    quote = await bus.request(
        subjects.BILLING_REGISTER,
        RegistrationRequest(card_number="66002", pin="2468", department_code="11", quote_only=True),
        reply_type=RegistrationReply,
    )
    assert quote.ok and quote.fee_fen == 500 and "5.00" in quote.text
    ivr = RegistrationRequest(
        idempotency_key="call-1:registration",
        card_number="66002",
        pin="2468",
        department_code="11",
        slot_id=small_slot,
        call_uuid="call-1",
    )
    booked = await bus.request(subjects.BILLING_REGISTER, ivr, reply_type=RegistrationReply)
    assert booked.ok and booked.balance_fen == 1500
    assert booked.confirmation_code in booked.text.replace(" ", "")
    ivr.idempotency_key = "call-2:registration"
    ivr.card_number = "66003"
    full = await bus.request(subjects.BILLING_REGISTER, ivr, reply_type=RegistrationReply)
    assert not full.ok and full.reason == "slot_full" and await balance(http, "66003") == 2000

    kiosk = {"card_number": "66001", "pin": "2468"}
    clock.now = local(DAY, 9)
    today = (await http.post("/v1/kiosk/registrations", json=kiosk)).json()
    (mine,) = today["registrations"]
    assert mine["id"] == first.json()["id"] and mine["state"] == "booked"
    assert (await http.post(f"/v1/kiosk/registrations/{mine['id']}/slip", json=kiosk)).status_code == 409
    slip = await http.post(f"/v1/kiosk/registrations/{mine['id']}/check-in", json=kiosk)
    assert slip.status_code == 200, slip.text
    assert slip.json()["visit_time"] == "10:00" and slip.json()["fee_yuan"] == "5.00"
    page = await http.post(f"/v1/kiosk/registrations/{mine['id']}/slip.html", json=kiosk)
    assert page.headers["content-type"].startswith("text/html")
    assert slip.json()["confirmation_code"] in page.text and "内科" in page.text
    other = {"card_number": "66002", "pin": "2468"}
    stranger = await http.post(f"/v1/kiosk/registrations/{mine['id']}/check-in", json=other)
    assert stranger.status_code == 404

    clock.now = local(DAY + dt.timedelta(days=1), 0, 1)
    swept = (await http.post("/v1/registrations/sweep")).json()
    assert swept["refunded"] == [booked.registration_id]
    assert (await http.post("/v1/registrations/sweep")).json()["refunded"] == []
    assert await balance(http, "66001") == 1500 and await balance(http, "66002") == 2000

    today_utc = dt.datetime.now(ZONE).date()
    report = await http.get(
        "/v1/reports/revenue",
        params={
            "start": (today_utc - dt.timedelta(days=1)).isoformat(),
            "end": (today_utc + dt.timedelta(days=1)).isoformat(),
            "group_by": "type,department",
        },
    )
    assert report.status_code == 200, report.text
    rows = {(r["type"], r["department"]): r["amount_fen"] for r in report.json()["rows"]}
    assert rows == {("registration", "11"): 1000, ("registration_refund", "11"): -500}
    assert report.json()["total_fen"] == 500

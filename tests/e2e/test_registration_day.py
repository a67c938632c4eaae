"""A registration day end to end (issue 5 "Done when": a paid registration, its no-show refund at day's
end, a kiosk check-in; R-REG4, R-REG5, R-REG6, R-EXP4).

Real nats-server, the FreeSWITCH simulator (20x faster) and the real crm, cdr, ivr and billing apps
(billing twice: two replicas on one database), the demo hospital in the CRM and the default hospital
flow. Two patients pay for a formal registration through the IVR, keying what a caller would; on the
visit's day one of them checks in at the kiosk; then the day ends on billing's hospital clock
(``create_app(clock=...)``, moved by the test) and the no-show sweep — run by both replicas at once,
then again — pays back the other one's fee, exactly once. Money is asserted to the fen.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from contextlib import AsyncExitStack
from zoneinfo import ZoneInfo

import pytest

from careline.switchsim import Switch
from tests.e2e.support import (
    running,
    service_settings,
    start_crm_and_cdr,
    start_ivr,
    start_switch,
    wait_ready,
)
from tests.e2e.test_hospital_services import Ear
from tests.e2e.test_paid_services_ivr import PIN, _card, _sign_in
from tests.fixtures.billing_registration import FakeClock

ZONE = ZoneInfo("Asia/Shanghai")  # BillingSettings.hospital_timezone (default)
FEE = 1234  # fen: an odd amount, so a yuan/fen slip anywhere shows
OPENING = {"kiosk": 2000, "no_show": 1500}  # fen on each card at the sale


def _local(day: dt.date, hh: int, mm: int, ss: int = 0) -> dt.datetime:
    """A moment on the hospital's wall clock, as the UTC instant billing's clock answers."""
    return dt.datetime(day.year, day.month, day.day, hh, mm, ss, tzinfo=ZONE).astimezone(dt.UTC)


@pytest.fixture
async def hospital_day(tmp_path, nats_url):
    from careline.billing.app import create_app as billing_app
    from careline.billing.settings import BillingSettings

    clock = FakeClock(dt.datetime.now(dt.UTC))  # the hospital clock both billing replicas read
    async with AsyncExitStack() as stack:
        sw = await start_switch(stack, 0.05)
        ear = Ear(sw)
        clients = await start_crm_and_cdr(stack, tmp_path, nats_url, sw)
        billing_settings = BillingSettings(
            **service_settings(tmp_path, "billing", nats_url, sw),  # both replicas: one SQLite file
            pin_scrypt_n=2**10,
            time_scale=0.05,
            default_registration_fee_fen=FEE,
            registration_sweep_s=3600,  # only the start-up catch-up and the sweeps this test asks for
        )
        for replica in ("billing", "billing2"):
            app = billing_app(billing_settings, clock=clock)
            clients[replica] = await stack.enter_async_context(running(app))
        _, clients["ivr"] = await start_ivr(stack, tmp_path, nats_url, sw)
        await wait_ready(clients)
        yield sw, ear, clients, clock


async def _register_by_phone(sw: Switch, ear: Ear, card: str, phone: str, day: dt.date) -> str:
    """R-REG4 as a caller keys it: paid services, card + PIN, formal registration, department 11,
    the day, 08:00; the fee is heard before anything is charged, 1 confirms. Answers the quote heard."""
    uuid = await sw.place_call(phone, "95000")
    await _sign_in(ear, uuid, card)
    await ear.answer(uuid, "For a formal registration, press 1", "1")
    await ear.answer(uuid, "department code", "11#")
    await ear.answer(uuid, "day of your visit", day.strftime("%Y%m%d"))
    await ear.answer(uuid, "time of your visit", "0800")
    quote = await ear.hears(uuid, "This service costs")
    await ear.answer(uuid, "To confirm and pay this fee, press 1", "1")
    await ear.hears(uuid, "Your registration is booked and paid.")
    await ear.hears(uuid, "Your confirmation code is")
    sw.hangup(uuid)
    await asyncio.wait_for(sw.calls[uuid].done.wait(), 30)
    return quote


async def _statement(client, card: str) -> dict:
    r = await client.get(f"/v1/cards/{card}/statement")
    assert r.status_code == 200, r.text
    return r.json()


def _amounts(statement: dict) -> list[tuple[str, int]]:
    return [(i["kind"], i["amount_fen"]) for i in statement["items"]]


async def _sweep_together(clients) -> list[dict]:
    replies = await asyncio.gather(
        *(clients[r].post("/v1/registrations/sweep") for r in ("billing", "billing2"))
    )
    assert all(r.status_code == 200 for r in replies), [r.text for r in replies]
    return [r.json() for r in replies]


async def test_paid_by_phone_one_checks_in_at_the_kiosk_the_no_show_is_refunded_once_at_midnight(
    hospital_day,
):
    sw, ear, clients, clock = hospital_day
    billing = clients["billing"]
    cards = {who: await _card(clients, fen) for who, fen in OPENING.items()}
    visit_day = dt.datetime.now(ZONE).date() + dt.timedelta(days=1)  # the demo schedules start tomorrow

    # --- by phone: both pay (R-REG4), at the same time ---------------------------------------------
    quotes = await asyncio.gather(
        _register_by_phone(sw, ear, cards["kiosk"], "13700000031", visit_day),
        _register_by_phone(sw, ear, cards["no_show"], "13700000032", visit_day),
    )
    assert all("12.34 yuan" in q for q in quotes), quotes
    regs = {}
    for who, card in cards.items():
        (row,) = (await billing.get("/v1/registrations", params={"card_number": card})).json()
        assert (row["state"], row["fee_fen"], row["local_day"]) == ("booked", FEE, visit_day.isoformat())
        regs[who] = row
        statement = await _statement(billing, card)
        assert statement["balance_fen"] == OPENING[who] - FEE
        assert _amounts(statement) == [("card_sale", OPENING[who]), ("registration", -FEE)]

    # --- the visit's day, 08:30 at the hospital: the kiosk (R-REG6) -----------------------------
    clock.now = _local(visit_day, 8, 30)
    login = {"card_number": cards["kiosk"], "pin": PIN}
    today = (await billing.post("/v1/kiosk/registrations", json=login)).json()
    assert today["day"] == visit_day.isoformat() and today["balance_fen"] == OPENING["kiosk"] - FEE
    assert [r["id"] for r in today["registrations"]] == [regs["kiosk"]["id"]]
    rid = regs["kiosk"]["id"]
    r = await billing.post(f"/v1/kiosk/registrations/{rid}/check-in", json=login)
    assert r.status_code == 200, r.text
    slip = r.json()
    assert slip["registration_id"] == rid and slip["confirmation_code"] == regs["kiosk"]["confirmation_code"]
    assert (slip["fee_fen"], slip["fee_yuan"]) == (FEE, "12.34")
    assert (slip["visit_day"], slip["visit_time"], slip["department_code"]) == (
        visit_day.isoformat(),
        "08:00",
        "11",
    )
    assert slip["checked_in_at"] == _local(visit_day, 8, 30).astimezone(ZONE).isoformat(timespec="seconds")
    assert slip["patient_name"] == f"患者{cards['kiosk']}"  # the CRM's patient (_card names them so)
    assert slip["card_number_masked"] == "*" * (len(cards["kiosk"]) - 4) + cards["kiosk"][-4:]
    page = await billing.post(f"/v1/kiosk/registrations/{rid}/slip.html", json=login)
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert slip["confirmation_code"] in page.text and "¥12.34" in page.text and "window.print()" in page.text
    masked = slip["card_number_masked"]
    assert f"<td>{masked}</td>" in page.text and f"<td>{cards['kiosk']}</td>" not in page.text
    again = await billing.post(f"/v1/kiosk/registrations/{rid}/check-in", json=login)
    assert again.json()["checked_in_at"] == slip["checked_in_at"]  # checking in twice: the same slip
    crm_rows = (await clients["crm"].get("/v1/appointments", params={"card": cards["kiosk"]})).json()["items"]
    assert [a["status"] for a in crm_rows] == ["checked_in"]

    # --- 23:59:59: the day is not over, nothing is refunded ------------------------------------
    clock.now = _local(visit_day, 23, 59, 59)
    assert [s["refunded"] for s in await _sweep_together(clients)] == [[], []]

    # --- midnight has passed: both replicas sweep at once, then again (R-REG5) ------------------
    clock.now = _local(visit_day + dt.timedelta(days=1), 0, 0, 1)
    first = await _sweep_together(clients)
    second = await _sweep_together(clients)
    assert sorted(first[0]["refunded"] + first[1]["refunded"]) == [regs["no_show"]["id"]]
    assert all(s["refunded"] == [] and s["checked_in"] == [] for s in second)
    assert all(rid not in s["refunded"] + s["checked_in"] for s in first)  # already settled by the kiosk

    for replica in ("billing", "billing2"):  # either replica's statement over HTTP says the same
        no_show = await _statement(clients[replica], cards["no_show"])
        assert no_show["balance_fen"] == OPENING["no_show"]  # 1500 - 1234 + 1234, to the fen
        assert _amounts(no_show) == [
            ("card_sale", OPENING["no_show"]),
            ("registration", -FEE),
            ("registration_refund", FEE),
        ]
        refund = no_show["items"][-1]["detail"]
        assert refund["registration_id"] == regs["no_show"]["id"] and refund["reason"] == "no-show"
        kiosk = await _statement(clients[replica], cards["kiosk"])
        assert kiosk["balance_fen"] == OPENING["kiosk"] - FEE  # 766: checked in, never refunded
        assert _amounts(kiosk) == [("card_sale", OPENING["kiosk"]), ("registration", -FEE)]
    states = {
        who: (await billing.get(f"/v1/registrations/{row['id']}")).json()["state"]
        for who, row in regs.items()
    }
    assert states == {"kiosk": "checked_in", "no_show": "refunded"}

    # The next day the kiosk no longer offers yesterday's visit, and the refunded one cannot check in.
    late = {"card_number": cards["no_show"], "pin": PIN}
    assert (await billing.post("/v1/kiosk/registrations", json=late)).json()["registrations"] == []
    refused = await billing.post(f"/v1/kiosk/registrations/{regs['no_show']['id']}/check-in", json=late)
    assert refused.status_code == 409, refused.text

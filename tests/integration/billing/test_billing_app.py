"""The billing app over its real wires: HTTP (kiosk, agents, admins) and NATS request/reply (IVR) —
R-ACC1, R-REG4, R-REG6, R-EXP1, R-EXP2; SQLite file (and PostgreSQL), real nats-server."""

from __future__ import annotations

import httpx
import pytest

from careline import subjects
from careline.billing.app import create_app
from careline.v1.billing_pb2 import AuthResult, CardAuthReply, CardAuthRequest, TariffReply, TariffRequest
from tests.fixtures.billing import billing_settings


@pytest.fixture
async def app(db_url, nats_url):
    app = create_app(billing_settings(db_url, nats_url=nats_url, max_pin_attempts=3))
    async with app.router.lifespan_context(app):
        yield app


@pytest.fixture
async def http(app):
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://billing") as c:
        yield c


async def sell(http, number: str, balance: int = 1000, pin: str = "2468", **extra) -> dict:
    body = {
        "idempotency_key": f"sale-{number}",
        "card_number": number,
        "patient_id": f"p-{number}",
        "pin": pin,
        "opening_balance_fen": balance,
        **extra,
    }
    reply = await http.post("/v1/cards", json=body)
    assert reply.status_code == 201, reply.text
    return reply.json()


async def test_card_sale_is_idempotent_and_never_stores_the_pin(app, http):
    first = await sell(http, "88001", 5000)
    again = await sell(http, "88001", 5000)
    assert first == again and first["balance_fen"] == 5000
    refused = await http.post(
        "/v1/cards",
        json={
            "idempotency_key": "sale-88001",
            "card_number": "88001",
            "patient_id": "p-88001",
            "pin": "2468",
            "opening_balance_fen": 6000,
        },
    )
    assert refused.status_code == 409
    async with app.state.billing.sessions() as session:
        from careline.billing.models import Card

        stored = (await session.get(Card, "88001")).pin_hash
    # a scrypt hash with its parameters, salt and digest (hex); the PIN itself is none of its fields (a
    # substring check failed by chance: "2468" appeared inside a random hex digest)
    assert stored.startswith("scrypt$") and "2468" not in stored.split("$")


async def test_money_is_never_a_float(http):
    await sell(http, "88002")
    reply = await http.post(
        "/v1/cards/88002/adjustments",
        json={"idempotency_key": "f", "amount_fen": 10.5, "reason": "r", "admin_id": "a"},
    )
    assert reply.status_code == 422
    assert (await http.get("/v1/cards/88002")).json()["balance_fen"] == 1000


async def test_kiosk_lock_out_is_visible_and_an_audited_agent_reset_unlocks(http):
    await sell(http, "88003")
    wrong = await http.post("/v1/cards/88003/authenticate", json={"pin": "0000"})
    assert wrong.status_code == 401 and "2 attempt" in wrong.json()["detail"]
    await http.post("/v1/cards/88003/authenticate", json={"pin": "0000"})
    locked = await http.post("/v1/cards/88003/authenticate", json={"pin": "0000"})
    assert locked.status_code == 423
    card = (await http.get("/v1/cards/88003")).json()
    assert card["locked"] is True and card["pin_attempts_left"] == 0
    still = await http.post("/v1/cards/88003/authenticate", json={"pin": "2468"})
    assert still.status_code == 423  # the right PIN does not unlock a locked card

    reset = await http.post(
        "/v1/cards/88003/pin-reset", json={"new_pin": "1357", "agent_id": "agent7", "reason": "caller ID'd"}
    )
    assert reset.status_code == 200 and reset.json()["locked"] is False
    ok = await http.post("/v1/cards/88003/authenticate", json={"pin": "1357"})
    assert ok.status_code == 200 and ok.json()["balance_fen"] == 1000
    audit = (await http.get("/v1/cards/88003/audit")).json()
    assert [(a["actor"], a["action"], a["detail"]["was_locked"]) for a in audit] == [
        ("agent7", "pin_reset", True)
    ]


async def test_ivr_authenticates_over_nats(http, bus):
    await sell(http, "88004", 777, vip_level=2)

    async def ask(card: str, pin: str) -> CardAuthReply:
        request = CardAuthRequest(card_number=card, pin=pin, call_uuid="call-1")
        return await bus.request(subjects.BILLING_CARD_AUTH, request, reply_type=CardAuthReply)

    ok = await ask("88004", "2468")
    assert ok.result == AuthResult.AUTH_RESULT_OK
    assert (ok.patient_id, ok.vip_level, ok.balance_fen) == ("p-88004", 2, 777)
    wrong = await ask("88004", "1111")
    assert wrong.result == AuthResult.AUTH_RESULT_WRONG_PIN and wrong.attempts_left == 2
    assert (await ask("99999", "1111")).result == AuthResult.AUTH_RESULT_UNKNOWN_CARD
    await ask("88004", "1111")
    assert (await ask("88004", "1111")).result == AuthResult.AUTH_RESULT_LOCKED
    assert (await ask("88004", "2468")).result == AuthResult.AUTH_RESULT_LOCKED


async def test_tariff_over_nats_and_http_follows_the_rate_plan(http, bus):
    default = await bus.request(
        subjects.BILLING_TARIFF, TariffRequest(service="expert_consultation"), reply_type=TariffReply
    )
    assert default.price_fen == 200 and "2.00" in default.text
    put = await http.put(
        "/v1/rate-plans/expert_consultation/cardiology",
        json={"price_fen": 350, "rounding": "per_second", "admin_id": "admin1"},
    )
    assert put.status_code == 200
    text = await http.get("/v1/tariffs/expert_consultation", params={"category": "cardiology", "lang": "en"})
    assert text.json()["price_fen"] == 350 and "3.50 yuan per minute" in text.json()["text"]
    other = (await http.get("/v1/tariffs/expert_consultation", params={"category": "dermatology"})).json()
    assert other["price_fen"] == 200


async def test_bank_statement_import(http):
    await sell(http, "88005", 0)
    await sell(http, "88006", 0)
    csv_text = (
        "reference,date,card_number,amount,payer\n"
        "B001,2025-01-02,88005,100.50,Li Lei\n"
        "B002,2025-01-02,88006,20,Han Meimei\n"
        "B003,2025-01-02,00000,5,Nobody\n"
        "B004,2025-01-02,88005,-3,Bad\n"
        "B005,2025-01-02,88005,1.234,Bad\n"
        "B001,2025-01-02,88005,100.50,Li Lei\n"
        ",2025-01-02,88005,1,No ref\n"
    )
    files = {"file": ("jan.csv", csv_text, "text/csv")}
    report = (await http.post("/v1/bank-statements", files=files)).json()
    assert [(c["reference"], c["amount_fen"]) for c in report["credited"]] == [
        ("B001", 10050),
        ("B002", 2000),
    ]
    reasons = {r["line"]: r["reason"] for r in report["rejected"]}
    assert sorted(reasons) == [4, 5, 6, 7, 8]
    assert reasons[4] == "unknown card" and "twice" in reasons[7] and "no bank reference" in reasons[8]
    assert report["credited_fen"] == 12050

    again = (await http.post("/v1/bank-statements", files=files)).json()
    assert again["credited"] == [] and {d["reference"] for d in again["duplicates"]} == {"B001", "B002"}
    assert (await http.get("/v1/cards/88005")).json()["balance_fen"] == 10050
    assert (await http.get("/v1/cards/88006")).json()["balance_fen"] == 2000

    unreadable = await http.post("/v1/bank-statements", files={"file": ("x.csv", "a,b\n1,2\n", "text/csv")})
    assert unreadable.status_code == 400


async def test_adjustment_charge_and_statement(http):
    await sell(http, "88007", 1000)
    adj = await http.post(
        "/v1/cards/88007/adjustments",
        json={
            "idempotency_key": "adj-7",
            "amount_fen": -100,
            "reason": "double top-up",
            "admin_id": "admin2",
        },
    )
    assert adj.status_code == 201 and adj.json()["balance_fen"] == 900
    charge = await http.post(
        "/v1/cards/88007/charges",
        json={
            "idempotency_key": "cdr-1",
            "service": "expert_consultation",
            "seconds": 125,
            "reference": "cdr-1",
        },
    )
    assert charge.status_code == 201 and charge.json()["charge_fen"] == 600
    broke = await http.post(
        "/v1/cards/88007/charges",
        json={"idempotency_key": "cdr-2", "service": "expert_consultation", "seconds": 600},
    )
    assert broke.status_code == 402
    st = (await http.get("/v1/cards/88007/statement")).json()
    assert [(i["kind"], i["amount_fen"], i["balance_fen"]) for i in st["items"]] == [
        ("card_sale", 1000, 1000),
        ("adjustment", -100, 900),
        ("expert_consultation", -600, 300),
    ]
    assert st["items"][2]["detail"]["seconds"] == 125 and st["items"][2]["detail"]["reference"] == "cdr-1"
    audit = (await http.get("/v1/cards/88007/audit")).json()
    assert audit[0]["action"] == "adjustment" and audit[0]["detail"]["reason"] == "double top-up"

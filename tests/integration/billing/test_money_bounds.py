"""Money past a sane ceiling is refused with a reason, never a 500, and no card can be filled so full that
a later credit overflows (issue 9 §7, R-ACC1, design §5). Real app, SQLite file (and PostgreSQL)."""

from __future__ import annotations

import httpx
import pytest

from careline.billing import ledger
from careline.billing.app import create_app
from tests.fixtures.billing import billing_settings

HUGE = (2**63 - 1, 2**63, 2**64, -(2**63) - 1)


@pytest.fixture
async def app(db_url, nats_url):
    app = create_app(billing_settings(db_url, nats_url=nats_url))
    async with app.router.lifespan_context(app):
        yield app


@pytest.fixture
async def http(app):
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://billing") as c:
        yield c


def sale(number: str, balance: int) -> dict:
    return {
        "idempotency_key": f"sale-{number}-{balance}",
        "card_number": number,
        "patient_id": f"p-{number}",
        "pin": "2468",
        "opening_balance_fen": balance,
    }


def adjustment(key: str, amount: int) -> dict:
    return {"idempotency_key": key, "amount_fen": amount, "reason": "r", "admin_id": "a"}


async def balance(http, card: str) -> int:
    return (await http.get(f"/v1/cards/{card}")).json()["balance_fen"]


@pytest.mark.parametrize("huge", HUGE)
async def test_a_huge_opening_balance_is_a_422_and_sells_nothing(http, huge):
    reply = await http.post("/v1/cards", json=sale("66001", huge))
    assert reply.status_code == 422 and "opening_balance_fen" in reply.text
    assert ("1000000000000" if huge > 0 else "greater than or equal to 0") in reply.text
    assert (await http.get("/v1/cards/66001")).status_code == 404


async def test_huge_amounts_prices_and_durations_are_422s(http):
    assert (await http.post("/v1/cards", json=sale("66002", ledger.MAX_FEN))).status_code == 201
    for huge in HUGE:
        adj = await http.post("/v1/cards/66002/adjustments", json=adjustment(f"a{huge}", huge))
        assert adj.status_code == 422 and "1000000000000" in adj.text, adj.text
        plan = await http.put(
            "/v1/rate-plans/expert_consultation/x", json={"price_fen": huge, "admin_id": "a"}
        )
        assert plan.status_code == 422, plan.text
        charge = {"idempotency_key": f"c{huge}", "service": "expert_consultation", "seconds": huge}
        assert (await http.post("/v1/cards/66002/charges", json=charge)).status_code == 422
    assert await balance(http, "66002") == ledger.MAX_FEN


async def test_a_full_card_refuses_a_credit_with_a_reason_and_still_pays(http, monkeypatch):
    """A card can never hold so much that a credit overflows: past MAX_BALANCE_FEN a credit is refused
    (lowered here so the test need not move 10**15 fen) and the card still works."""
    monkeypatch.setattr(ledger, "MAX_BALANCE_FEN", 5000)
    assert (await http.post("/v1/cards", json=sale("66004", 4000))).status_code == 201
    over = await http.post("/v1/cards/66004/adjustments", json=adjustment("up", 2000))
    assert over.status_code == 422 and "at most 5000 fen" in over.json()["detail"]
    again = await http.post("/v1/cards/66004/adjustments", json=adjustment("up", 2000))
    assert again.status_code == 422  # the refusal is the key's answer, as a 402 is
    statement = "reference,card_number,amount\nR9,66004,20.00\nR10,66004,10.00\n"
    body = (await http.post("/v1/bank-statements", files={"file": ("s.csv", statement, "text/csv")})).json()
    assert [c["reference"] for c in body["credited"]] == ["R10"]
    assert [r["reference"] for r in body["rejected"]] == ["R9"] and "at most" in body["rejected"][0]["reason"]
    assert await balance(http, "66004") == 5000
    down = await http.post("/v1/cards/66004/adjustments", json=adjustment("down", -500))
    assert down.status_code == 201 and await balance(http, "66004") == 4500

"""A client's idempotency key is scoped per operation and card and never meets a key billing writes
itself (issue 9 §7, R-ACC1, design §5); answers stored under unscoped keys before the change still replay.
Real app over HTTP, SQLite file (and PostgreSQL), real nats-server."""

from __future__ import annotations

import httpx
import pytest
from sqlalchemy import select

from careline.billing import ledger
from careline.billing.app import create_app
from careline.billing.models import IdempotencyRecord, Transaction
from tests.fixtures.billing import billing_settings


@pytest.fixture
async def app(db_url, nats_url):
    app = create_app(billing_settings(db_url, nats_url=nats_url))
    async with app.router.lifespan_context(app):
        yield app


@pytest.fixture
async def http(app):
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://billing") as c:
        yield c


async def sell(http, number: str, balance: int = 1000) -> None:
    body = {
        "idempotency_key": f"sale-{number}",
        "card_number": number,
        "patient_id": f"p-{number}",
        "pin": "2468",
        "opening_balance_fen": balance,
    }
    assert (await http.post("/v1/cards", json=body)).status_code == 201


async def adjust(http, card: str, key: str, amount: int = 1):
    body = {"idempotency_key": key, "amount_fen": amount, "reason": "r", "admin_id": "a"}
    return await http.post(f"/v1/cards/{card}/adjustments", json=body)


async def balance(http, card: str) -> int:
    return (await http.get(f"/v1/cards/{card}")).json()["balance_fen"]


async def test_a_client_key_named_like_a_bank_reference_does_not_swallow_the_bank_line(http):
    """The attack of issue 9: a 1 fen adjustment keyed bank:BANKREF-777, then the real bank line."""
    await sell(http, "77001", 0)
    assert (await adjust(http, "77001", "bank:BANKREF-777")).status_code == 201
    statement = "reference,card_number,amount\nBANKREF-777,77001,500.00\n"
    report = (await http.post("/v1/bank-statements", files={"file": ("s.csv", statement, "text/csv")})).json()
    assert [c["reference"] for c in report["credited"]] == ["BANKREF-777"] and report["duplicates"] == []
    assert await balance(http, "77001") == 50001


async def test_one_key_on_two_operations_or_two_cards_is_two_requests(http):
    await sell(http, "77002")
    await sell(http, "77003")
    assert (await adjust(http, "77002", "k-1", 5)).status_code == 201
    assert (await adjust(http, "77003", "k-1", 7)).status_code == 201  # another card: not a mismatch
    charge = {"idempotency_key": "k-1", "service": "expert_consultation", "seconds": 60}
    assert (await http.post("/v1/cards/77002/charges", json=charge)).status_code == 201
    assert await balance(http, "77003") == 1007
    assert await balance(http, "77002") == 1005 - 200  # both the adjustment and the charge happened
    again = await adjust(http, "77002", "k-1", 5)
    assert again.status_code == 201 and await balance(http, "77002") == 805  # a replay, no second effect
    assert (await adjust(http, "77002", "k-1", 6)).status_code == 409


async def test_client_keys_are_stored_scoped_and_never_as_internal_keys(app, http):
    await sell(http, "77004")
    await adjust(http, "77004", "bank:X")
    async with app.state.billing.sessions() as session:
        keys = set(await session.scalars(select(Transaction.idempotency_key)))
    assert keys == {"client:card_sale:sale-77004", "client:adjustment:77004:bank:X"}


async def test_an_answer_stored_under_an_unscoped_key_still_replays(app, http, monkeypatch):
    """A request first sent before keys were scoped and retried after: one effect, the stored answer."""
    await sell(http, "77005")
    with monkeypatch.context() as old_code:
        old_code.setattr(ledger, "client_key", lambda operation, key, card_number="": key)
        first = await adjust(http, "77005", "old-key", 30)
    assert first.status_code == 201 and await balance(http, "77005") == 1030
    replay = await adjust(http, "77005", "old-key", 30)
    assert replay.json() == first.json() and await balance(http, "77005") == 1030
    assert (await adjust(http, "77005", "old-key", 31)).status_code == 409


async def test_an_internal_record_is_never_taken_for_a_legacy_client_answer(app, http):
    await sell(http, "77006")
    async with app.state.billing.sessions.begin() as session:
        session.add(
            IdempotencyRecord(
                key="consultation-auth:c1",
                operation="consultation_auth",
                request_hash="x",
                status_code=201,
                response="{}",
            )
        )
    assert (await adjust(http, "77006", "consultation-auth:c1", 9)).status_code == 201
    assert await balance(http, "77006") == 1009


def test_a_long_client_key_fits_the_key_column_and_stays_distinct():
    long_a, long_b = "a" * 200, "a" * 199 + "b"
    scoped = {ledger.client_key("adjustment", k, card_number="C" * 32) for k in (long_a, long_b)}
    assert len(scoped) == 2 and all(len(k) <= ledger.KEY_COLUMN for k in scoped)
    assert all(k.startswith("client:adjustment:" + "C" * 32 + ":") for k in scoped)
    assert ledger.client_key("charge", "k", card_number="88") == "client:charge:88:k"
    with pytest.raises(ledger.DomainError):
        ledger.client_key("charge", "")

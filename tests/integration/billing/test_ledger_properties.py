"""Property-based ledger tests on a real SQLite file (issue 5 "done when"; R-ACC1, R-EXP3, design §5).

Over random opening balances, rate plans, rounding rules, VIP levels and call timings:
- every transaction sums to zero, and no card balance ever goes below zero;
- each accepted charge equals the rating rule, each refusal happened because the card could not pay;
- replaying every billing event twice, by two consumers at once, leaves the same ledger as applying it once.

Hypothesis drives a synchronous test; each example runs its own event loop against one migrated file.
"""

from __future__ import annotations

import asyncio
import itertools
import math
from fractions import Fraction

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from careline.billing import rating
from careline.billing.domain import Billing
from careline.billing.errors import InsufficientFunds
from careline.billing.models import Posting
from careline.core.db import make_engine, migrate_sync, session_factory, sqlite_url
from tests.fixtures.billing import billing_settings

_ids = itertools.count()
N_CARDS = 3


@pytest.fixture(scope="module")
def db(tmp_path_factory) -> str:
    url = sqlite_url(tmp_path_factory.mktemp("billing-props") / "billing.db")
    migrate_sync(url, "billing")
    return url


cards_st = st.lists(
    st.tuples(st.integers(0, 5000), st.sampled_from([0, 0, 1, 2])), min_size=N_CARDS, max_size=N_CARDS
)
plan_st = st.tuples(st.integers(0, 1000), st.sampled_from(rating.ROUNDINGS))
event_st = st.one_of(
    st.tuples(st.just("charge"), st.integers(0, N_CARDS - 1), st.integers(0, 1800)),
    st.tuples(st.just("register"), st.integers(0, N_CARDS - 1), st.just(0)),
    st.tuples(st.just("topup"), st.integers(0, N_CARDS - 1), st.integers(1, 3000)),
    st.tuples(st.just("adjust"), st.integers(0, N_CARDS - 1), st.integers(-2000, 2000).filter(bool)),
)
events_st = st.lists(event_st, min_size=1, max_size=14)
SETTINGS = settings(
    max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


async def _world(url: str, cards, plan) -> tuple[Billing, list[str], str, object]:
    """Cards with the given balances and VIP levels, and a category priced by ``plan``."""
    engine = make_engine(url)
    billing = Billing(session_factory(engine), billing_settings(url))
    run = next(_ids)
    category = f"cat{run}"
    rate, rounding = plan
    await billing.set_plan(rating.Plan(rating.EXPERT_CONSULTATION, category, rate, rounding), admin_id="t")
    numbers = []
    for i, (balance, vip) in enumerate(cards):
        number = f"P{run}x{i}"
        await billing.sell_card(
            key=f"sale-{number}",
            card_number=number,
            patient_id="p",
            pin="1234",
            opening_balance_fen=balance,
            vip_level=vip,
        )
        numbers.append(number)
    return billing, numbers, category, engine


async def _apply(billing: Billing, numbers, category, prefix: str, index: int, event) -> object:
    """One billing event under its idempotency key; the answer, or the refusal's class name."""
    kind, card, amount = event
    key = f"{prefix}-{index}"
    try:
        if kind == "charge":
            return await billing.charge(
                key=key,
                card_number=numbers[card],
                service=rating.EXPERT_CONSULTATION,
                category=category,
                seconds=amount,
            )
        if kind == "register":
            return await billing.charge(key=key, card_number=numbers[card], service=rating.REGISTRATION)
        return await billing.adjust(
            key=key, card_number=numbers[card], amount_fen=amount, reason=kind, admin_id="t"
        )
    except InsufficientFunds:
        return "InsufficientFunds"


async def _balances(billing: Billing, numbers) -> list[int]:
    return [(await billing.card_info(n))["balance_fen"] for n in numbers]


async def _unbalanced_transactions(billing: Billing) -> int:
    async with billing.sessions() as session:
        sums = select(func.sum(Posting.amount_fen).label("s")).group_by(Posting.transaction_id).subquery()
        return await session.scalar(select(func.count()).select_from(sums).where(sums.c.s != 0))


@SETTINGS
@given(cards=cards_st, plan=plan_st, events=events_st)
def test_charges_follow_the_rule_sum_to_zero_and_never_overdraw(db, cards, plan, events):
    async def scenario() -> None:
        billing, numbers, category, engine = await _world(db, cards, plan)
        try:
            model = [balance for balance, _ in cards]
            policy = billing.settings.vip_benefits
            for i, event in enumerate(events):
                kind, card, amount = event
                answer = await _apply(billing, numbers, category, f"e{category}", i, event)
                vip = cards[card][1]
                if kind in ("charge", "register"):
                    service = rating.EXPERT_CONSULTATION if kind == "charge" else rating.REGISTRATION
                    expected = _rule(service, plan, amount, vip, policy, billing.settings)
                    if expected > model[card]:
                        assert answer == "InsufficientFunds"
                    else:
                        assert answer["charge_fen"] == expected
                        model[card] -= expected
                else:
                    if model[card] + amount < 0:
                        assert answer == "InsufficientFunds"
                    else:
                        model[card] += amount
                assert min(await _balances(billing, numbers)) >= 0
            assert await _balances(billing, numbers) == model
            assert await _unbalanced_transactions(billing) == 0
        finally:
            await engine.dispose()

    asyncio.run(scenario())


def _rule(service, plan, seconds, vip, policy, settings_) -> int:
    """The rating rule written again, independently, with Fractions."""
    free = {rating.EXPERT_CONSULTATION: "free_consultation", rating.REGISTRATION: "free_registration"}
    if vip and free[service] in policy.get(vip, ()):
        return 0
    if service == rating.REGISTRATION:
        return settings_.default_registration_fee_fen
    rate, rounding = plan
    if rounding == "per_started_minute":
        return math.ceil(Fraction(seconds, 60)) * rate
    return math.ceil(Fraction(seconds * rate, 60))


@SETTINGS
@given(cards=cards_st, plan=plan_st, events=events_st)
def test_replaying_every_event_twice_with_two_consumers_leaves_the_same_ledger(db, cards, plan, events):
    async def scenario() -> None:
        once, once_numbers, once_cat, e1 = await _world(db, cards, plan)
        twice, twice_numbers, twice_cat, e2 = await _world(db, cards, plan)
        try:
            single = [
                await _apply(once, once_numbers, once_cat, f"o{once_cat}", i, ev)
                for i, ev in enumerate(events)
            ]

            async def consumer() -> list:
                # A JetStream consumer handles its messages in order; two of them race each other.
                return [
                    await _apply(twice, twice_numbers, twice_cat, f"t{twice_cat}", i, ev)
                    for i, ev in enumerate(events)
                ]

            first, second = await asyncio.gather(consumer(), consumer())
            assert _outcomes(first) == _outcomes(second) == _outcomes(single)
            assert first == second  # the same answer, to the transaction id
            assert await _balances(twice, twice_numbers) == await _balances(once, once_numbers)
            assert await _unbalanced_transactions(twice) == 0
        finally:
            await e1.dispose()
            await e2.dispose()

    asyncio.run(scenario())


def _outcomes(answers: list) -> list:
    """What happened, without the ids that differ between two worlds."""
    return [
        a if isinstance(a, str) else (a.get("charge_fen", a.get("amount_fen")), a["balance_fen"])
        for a in answers
    ]

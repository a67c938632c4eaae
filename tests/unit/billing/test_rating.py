"""Rating rules and bank amounts are exact integer arithmetic (R-EXP3, R-VIP3, R-ACC1); property-based."""

from __future__ import annotations

import math
from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from careline.billing import bank, rating

seconds = st.integers(min_value=0, max_value=10 * 3600)
rates = st.integers(min_value=0, max_value=100_000)
roundings = st.sampled_from(rating.ROUNDINGS)


@given(seconds, rates)
def test_per_started_minute_charges_every_started_minute_in_full(s, rate):
    assert rating.metered_charge(s, rate, "per_started_minute") == math.ceil(Fraction(s, 60)) * rate


@given(seconds, rates)
def test_per_second_charges_rate_over_60_rounded_up_to_a_fen(s, rate):
    assert rating.metered_charge(s, rate, "per_second") == math.ceil(Fraction(s * rate, 60))


@given(seconds, seconds, rates, roundings)
def test_longer_calls_never_cost_less(a, b, rate, rounding):
    short, long_ = sorted((a, b))
    assert rating.metered_charge(short, rate, rounding) <= rating.metered_charge(long_, rate, rounding)


@given(st.integers(min_value=0, max_value=10**7), st.integers(min_value=1, max_value=100_000), roundings)
def test_allowed_seconds_are_the_most_the_balance_pays_for(balance, rate, rounding):
    allowed = rating.allowed_seconds(balance, rate, rounding)
    assert rating.metered_charge(allowed, rate, rounding) <= balance
    assert rating.metered_charge(allowed + 1, rate, rounding) > balance


def test_default_rate_is_2_cny_per_started_minute():
    plan = rating.Plan(rating.EXPERT_CONSULTATION, "*", 200)
    assert [rating.charge(plan, seconds=s) for s in (0, 1, 60, 61, 125)] == [0, 200, 200, 400, 600]


@pytest.mark.parametrize(
    ("service", "level", "free"),
    [
        ("expert_consultation", 2, True),
        ("conference_listener", 2, True),
        ("expert_consultation", 1, False),
        ("registration", 1, True),
        ("registration", 0, False),
        ("expert_consultation", 7, False),  # a level the policy does not list has no benefit
    ],
)
def test_vip_benefits_follow_the_policy(service, level, free):
    policy = {1: ["free_registration"], 2: ["free_registration", "free_consultation"]}
    plan = rating.Plan(service, "*", 300)
    assert (rating.charge(plan, seconds=90, vip_level=level, vip_benefits=policy) == 0) is free


def test_tariff_text_says_the_rate_and_the_rule():
    plan = rating.Plan(rating.EXPERT_CONSULTATION, "*", 250, "per_second")
    assert "2.50" in rating.tariff_text(plan, lang="en") and "by the second" in rating.tariff_text(
        plan, lang="en"
    )
    assert "2.50元" in rating.tariff_text(plan) and "按秒" in rating.tariff_text(plan)
    assert rating.yuan(-5) == "-0.05"


@given(st.decimals(min_value=0, max_value=Decimal("999999999.99"), places=2))
def test_bank_amounts_become_exact_fen(amount):
    assert bank.yuan_to_fen(f"{amount:.2f}") == int(amount * 100)


@pytest.mark.parametrize("bad", ["-1", "1.234", "1e3", "", "abc", "1,000", "nan"])
def test_bank_amounts_that_are_not_plain_yuan_are_refused(bad):
    with pytest.raises(ValueError):
        bank.yuan_to_fen(bad)

"""Resident ID numbers (GB 11643-1999) used to find a caller's record (R-CRM1)."""

from __future__ import annotations

import datetime as dt

import pytest

from careline.crm.idnumber import IdNumberError, check_character, validate_id_number

VALID = "11010519491231002X"  # the standard's own example


def test_check_character_of_the_standard_example():
    assert check_character(VALID[:17]) == "X"


def test_valid_number_is_canonicalised_to_upper_case_x():
    assert validate_id_number(VALID.lower()) == VALID
    assert validate_id_number(" 440304199001011233 ") == "440304199001011233"


@pytest.mark.parametrize("position", range(17))
def test_any_single_digit_typo_is_caught(position):
    digit = VALID[position]
    typo = VALID[:position] + str((int(digit) + 1) % 10) + VALID[position + 1 :]
    with pytest.raises(IdNumberError):
        validate_id_number(typo)


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        ("1101051949123100", "18 characters"),
        ("11010519491231002XX", "18 characters"),
        ("A1010519491231002X", "17 digits"),
        ("110105194913310027", "birth date"),  # month 13
        ("110105194902300020", "birth date"),  # 30 February
        ("110105194912310021", "check character is 1, expected X"),
    ],
)
def test_refusals_say_why(raw, reason):
    with pytest.raises(IdNumberError) as err:
        validate_id_number(raw)
    assert reason in err.value.reason


def test_birth_date_in_the_future_is_refused():
    first17 = "11010520300101002"
    with pytest.raises(IdNumberError, match="plausible"):
        validate_id_number(first17 + check_character(first17), today=dt.date(2026, 1, 1))

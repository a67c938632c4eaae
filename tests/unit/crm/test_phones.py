"""Caller-ID normalisation (R-CRM2, R-VIP2): one canonical form per number, refusals with reasons."""

from __future__ import annotations

import pytest

from careline.crm.phones import PhoneError, is_mobile, normalise_phone


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("13912345678", "13912345678"),
        ("+8613912345678", "13912345678"),
        ("+86 139-1234-5678", "13912345678"),
        ("008613912345678", "13912345678"),
        ("8613912345678", "13912345678"),
        ("010-12345678", "01012345678"),
        ("(010) 1234 5678", "01012345678"),
        ("+86 10 1234 5678", "01012345678"),
        ("00861012345678", "01012345678"),
        ("021.6123.4567", "02161234567"),
        ("0571-8888888", "05718888888"),
        ("0755-12345678", "075512345678"),
    ],
)
def test_normalises_chinese_numbers(raw, expected):
    assert normalise_phone(raw) == expected


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        ("", "empty"),
        ("   ", "empty"),
        ("anonymous", "other than digits"),
        ("+1 415 555 0100", "not a Chinese (+86)"),
        ("0044 20 7946 0000", "not a Chinese (0086)"),
        ("12345678", "neither"),  # a local number cannot start with 1
        ("95588", "neither"),  # a bank's service code is nobody's caller ID
        ("1391234567", "neither"),  # one digit short of a mobile
        ("139123456789", "neither"),
        ("010-1234567", "neither"),  # Beijing numbers have 8 digits
        ("62345678", "no area code"),
        ("010-12345678 ext 5", "other than digits"),
    ],
)
def test_refuses_unusable_numbers_with_reason(raw, reason):
    with pytest.raises(PhoneError) as err:
        normalise_phone(raw)
    assert reason in err.value.reason


def test_local_number_completed_with_configured_area_code():
    assert normalise_phone("6234-5678", default_area_code="010") == "01062345678"
    assert normalise_phone("8888888", default_area_code="0571") == "05718888888"


def test_bad_default_area_code_is_refused():
    with pytest.raises(PhoneError, match="area code"):
        normalise_phone("62345678", default_area_code="10")


def test_mobile_detection():
    assert is_mobile("13912345678")
    assert not is_mobile("01012345678")

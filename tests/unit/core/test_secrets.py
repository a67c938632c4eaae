"""careline.core.secrets: the production strength rule and redaction (issue 9 §8 "Secrets", R-ADM1)."""

from __future__ import annotations

import secrets

import pytest

from careline.core.secrets import REDACTED, WeakSecretError, check_secret, redact, weak_secret_reason

# The examples first (issue 9: "CHANGE_ME, password, 1 pass"), then the rest of the rule.
REFUSED = [
    "CHANGE_ME",
    "password",
    "1",
    "",
    "ClueCon",
    "change-me",
    "secret",
    "1234567890123456",
    "CHANGE_ME_IN_PRODUCTION_2026",
    "ClueCon-ClueCon-ClueCon",
    "MyPassword!2026xx",
    "hospital20262026",
    "abcdefghijklmnopqrs",
    "qwertyuiopasdfghjk",
    "zxcvbnmlkjhgfdsapo",
    "ZXCVBNMLKJHGFDSAPO",
    "a1a1a1a1a1a1a1a1a1",
    "careline-dev-signing-key-not-for-production",
]


@pytest.mark.parametrize("value", REFUSED)
def test_weak_secrets_are_refused(value: str) -> None:
    assert weak_secret_reason(value) is not None


@pytest.mark.parametrize(
    "value",
    [secrets.token_urlsafe(32), secrets.token_hex(32), "Vq7#pL2x!mR9wZ4k", "t4k3-Gr33n-Horse-Battery-9"],
)
def test_strong_secrets_pass(value: str) -> None:
    assert weak_secret_reason(value) is None


def test_the_refusal_names_the_setting_and_never_the_secret() -> None:
    value = "CHANGE_ME_QzX9vW"
    with pytest.raises(WeakSecretError) as caught:
        check_secret("CARELINE_ACD_ESL_PASSWORD", value)
    message = str(caught.value)
    assert "CARELINE_ACD_ESL_PASSWORD" in message
    # No piece of the value, not even its tail (issue 9: the old refusal printed the tail).
    for size in (3, 4):
        for start in range(len(value) - size + 1):
            assert value[start : start + size] not in message


def test_redact_shows_nothing_of_the_value() -> None:
    assert redact("s3cr3t-Value-0123456789") == REDACTED
    assert redact("x") == redact("a much longer secret value") == REDACTED


def test_a_strong_secret_is_accepted_by_check_secret() -> None:
    check_secret("CARELINE_AUTH_SIGNING_KEY", secrets.token_urlsafe(32))

"""Identity settings refuse weak keys in prod; roles parse strictly; passwords hash with scrypt (issue 9)."""

from __future__ import annotations

import pytest

from careline.core.auth import Authenticator, AuthSettings, Role
from careline.core.auth.passwords import hash_password, verify_password
from careline.core.auth.roles import known_roles, parse_roles
from careline.core.secrets import WeakSecretError


@pytest.mark.parametrize("key", ["CHANGE_ME", "password", "1", "careline-dev-signing-key-not-for-production"])
def test_prod_refuses_a_weak_signing_key_without_printing_it(key: str) -> None:
    with pytest.raises(WeakSecretError) as refused:
        Authenticator.from_settings(AuthSettings(signing_key=key), env="prod")
    assert "CARELINE_AUTH_SIGNING_KEY" in str(refused.value)
    assert key not in str(refused.value) or len(key) < 2


def test_dev_accepts_the_dev_key_and_prod_a_strong_one() -> None:
    assert Authenticator.from_settings(AuthSettings(), env="dev").own is not None
    strong = AuthSettings(signing_key="Zq8#vN2!pL5xR7wT9kM3cB6yH1jF4dS0")
    assert Authenticator.from_settings(strong, env="prod").own is not None


def test_prod_with_no_issuer_at_all_refuses_to_start() -> None:
    with pytest.raises(ValueError):
        Authenticator.from_settings(AuthSettings(signing_key=""), env="prod")


def test_roles() -> None:
    assert parse_roles(["Admin", " agent "]) == {Role.ADMIN, Role.AGENT}
    with pytest.raises(ValueError):
        parse_roles(["root"])
    assert known_roles(["root", "qa"]) == {Role.QA}
    assert len(Role) == 8


async def test_passwords_hash_and_verify() -> None:
    stored = await hash_password("correct horse battery", n=2**10)
    assert stored.startswith("scrypt$1024$")
    assert "correct" not in stored
    assert await verify_password("correct horse battery", stored)
    assert not await verify_password("correct horse batterz", stored)
    assert not await verify_password("anything", None)
    assert not await verify_password("anything", "md5$abc")
    assert await hash_password("same", n=2**10) != await hash_password("same", n=2**10)  # salted

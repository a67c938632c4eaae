"""careline's own access tokens: every way a token can be wrong is refused (issue 9 §1, design §6, R-ADM1)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time

import pytest
from joserfc import jwt
from joserfc.jwk import OctKey, OKPKey

from careline.core.auth import AuthError, AuthSettings, OwnIssuer, Role
from careline.core.auth.own_issuer import ACCESS_TOKEN_TYPE

SECRET = "Zq8#vN2!pL5xR7wT9kM3cB6yH1jF4dS0"


def issuer(**overrides) -> OwnIssuer:
    return OwnIssuer.from_settings(AuthSettings(signing_key=SECRET, **overrides))


def forge(claims: dict, *, key=None, alg: str = "HS256", header: dict | None = None) -> str:
    key = key or OctKey.import_key(SECRET.encode())
    return jwt.encode({"alg": alg, "typ": ACCESS_TOKEN_TYPE, **(header or {})}, claims, key, algorithms=[alg])


def good_claims(**changes) -> dict:
    now = int(time.time())
    claims = {
        "iss": "careline",
        "aud": "careline",
        "sub": "u-1",
        "roles": ["agent"],
        "jti": "t-1",
        "iat": now,
        "nbf": now,
        "exp": now + 60,
    }
    claims.update(changes)
    return {k: v for k, v in claims.items() if v is not None}


def b64(data: dict) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


def test_a_minted_token_gives_its_principal() -> None:
    own = issuer()
    minted = own.mint_access(subject="u-7", roles=[Role.AGENT, Role.EXPERT], name="li", extension="1001")
    principal = own.verify(minted.token)
    assert principal.subject == "u-7"
    assert principal.roles == {Role.AGENT, Role.EXPERT}
    assert principal.extension == "1001"
    assert principal.token_id == minted.token_id
    assert principal.name == "li"
    assert principal.actor == "careline|u-7"


def test_a_forged_token_with_the_right_claims_passes_so_the_refusals_below_mean_something() -> None:
    assert issuer().verify(forge(good_claims())).subject == "u-1"


@pytest.mark.parametrize(
    ("claims", "reason"),
    [
        (good_claims(exp=int(time.time()) - 60, iat=int(time.time()) - 120), "expired"),
        (good_claims(iss="someone-else"), "iss"),
        (good_claims(aud="another-app"), "aud"),
        (good_claims(nbf=int(time.time()) + 600), "not yet valid"),
        (good_claims(jti=None), "jti"),
        (good_claims(exp=None), "exp"),
        (good_claims(sub=None), "sub"),
    ],
)
def test_wrong_claims_are_refused(claims: dict, reason: str) -> None:
    with pytest.raises(AuthError) as refused:
        issuer().verify(forge(claims))
    assert reason in refused.value.reason


def test_an_expired_minted_token_is_refused() -> None:
    own = issuer(leeway_s=0)
    token = own.mint_access(subject="u", roles=[Role.ADMIN], ttl_s=-1).token
    with pytest.raises(AuthError, match="expired"):
        own.verify(token)


def test_alg_none_is_refused() -> None:
    unsigned = f"{b64({'alg': 'none', 'typ': 'JWT'})}.{b64(good_claims())}."
    with pytest.raises(AuthError):
        issuer().verify(unsigned)


def test_a_tampered_payload_is_refused() -> None:
    head, _, signature = forge(good_claims()).split(".")
    escalated = b64(good_claims(roles=["admin"]))
    with pytest.raises(AuthError, match="signature"):
        issuer().verify(f"{head}.{escalated}.{signature}")


def test_a_token_signed_with_another_secret_is_refused() -> None:
    other = OctKey.import_key(b"another-secret-of-sufficient-length!!")
    with pytest.raises(AuthError, match="signature"):
        issuer().verify(forge(good_claims(), key=other))


def test_hs256_is_refused_where_eddsa_is_configured() -> None:
    """Algorithm confusion: an HMAC token 'signed' with the public key must not pass."""
    private = OKPKey.generate_key("Ed25519")
    public_pem = private.as_pem(private=False).decode()
    verifier = OwnIssuer.from_settings(AuthSettings(signing_key="", verify_key=public_pem))
    # joserfc itself will not make an HMAC key of a public key, so the attacker's token is built by hand.
    signing_input = f"{b64({'alg': 'HS256', 'typ': 'JWT'})}.{b64(good_claims())}"
    mac = hmac.new(public_pem.encode(), signing_input.encode(), hashlib.sha256).digest()
    confused = f"{signing_input}.{base64.urlsafe_b64encode(mac).rstrip(b'=').decode()}"
    with pytest.raises(AuthError, match="algorithm"):
        verifier.verify(confused)


def test_eddsa_tokens_verify_with_the_public_key_alone_which_cannot_mint() -> None:
    private = OKPKey.generate_key("Ed25519")
    signer = OwnIssuer.from_settings(AuthSettings(signing_key=private.as_pem(private=True).decode()))
    verifier = OwnIssuer.from_settings(
        AuthSettings(signing_key="", verify_key=private.as_pem(private=False).decode())
    )
    token = signer.mint_access(subject="u-9", roles=[Role.FINANCE]).token
    assert verifier.verify(token).roles == {Role.FINANCE}
    assert not verifier.can_sign
    with pytest.raises(RuntimeError):
        verifier.mint_access(subject="x", roles=[Role.ADMIN])


@pytest.mark.parametrize("garbage", ["", "abc", "a.b.c", "x" * 9000, "a.b"])
def test_garbage_is_refused(garbage: str) -> None:
    with pytest.raises(AuthError):
        issuer().verify(garbage)


def test_roles_that_careline_does_not_know_are_dropped() -> None:
    principal = issuer().verify(forge(good_claims(roles=["agent", "root", "superuser"])))
    assert principal.roles == {Role.AGENT}


def test_roles_that_are_not_a_list_are_refused() -> None:
    with pytest.raises(AuthError):
        issuer().verify(forge(good_claims(roles="admin")))


@pytest.mark.parametrize("iss", [["careline"], {"a": 1}, 7, None])
async def test_an_issuer_that_is_not_a_string_is_refused_not_a_crash(iss) -> None:
    from careline.core.auth import Authenticator

    own = issuer()
    with pytest.raises(AuthError, match="issuer"):
        await Authenticator([own], own=own).authenticate(forge(good_claims(iss=iss)))

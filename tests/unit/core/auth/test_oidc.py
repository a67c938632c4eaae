"""Tokens from a hospital's OpenID Connect provider (issue 9 §1, design §6): JWKS by discovery, cached,
refetched on an unknown kid, and fail closed when the provider cannot be reached."""

from __future__ import annotations

import time

import httpx
import pytest
from joserfc import jwt
from joserfc.jwk import KeySet, RSAKey

from careline.core.auth import (
    Authenticator,
    AuthError,
    AuthSettings,
    AuthUnavailable,
    JwksCache,
    OidcVerifier,
    Role,
)

ISSUER = "https://idp.hospital.example/realms/main"
JWKS_URL = f"{ISSUER}/protocol/openid-connect/certs"


class FakeProvider:
    """Discovery and JWKS over httpx.MockTransport; counts fetches; can be taken down."""

    def __init__(self) -> None:
        self.keys = [RSAKey.generate_key(2048, parameters={"kid": "k1"})]
        self.down = False
        self.jwks_fetches = 0
        self.discovery_issuer = ISSUER

    def handler(self, request: httpx.Request) -> httpx.Response:
        if self.down:
            raise httpx.ConnectError("provider down", request=request)
        if request.url.path.endswith("/.well-known/openid-configuration"):
            return httpx.Response(200, json={"issuer": self.discovery_issuer, "jwks_uri": JWKS_URL})
        if str(request.url) == JWKS_URL:
            self.jwks_fetches += 1
            return httpx.Response(200, json=KeySet(self.keys).as_dict(private=False))
        return httpx.Response(404)

    def client(self) -> httpx.AsyncClient:
        return httpx.AsyncClient(transport=httpx.MockTransport(self.handler))

    def token(self, key: RSAKey | None = None, **changes) -> str:
        key = key or self.keys[0]
        now = int(time.time())
        claims = {
            "iss": ISSUER,
            "aud": "careline",
            "sub": "idp-subject-1",
            "iat": now,
            "exp": now + 60,
            "jti": "idp-token-1",
            "preferred_username": "dr.wang",
            "realm_access": {"roles": ["cc-agents", "offline_access"]},
            "careline_extension": "1002",
        }
        claims.update(changes)
        return jwt.encode({"alg": "RS256", "kid": key.kid}, claims, key, algorithms=["RS256"])


@pytest.fixture
def provider() -> FakeProvider:
    return FakeProvider()


def verifier(provider: FakeProvider, **kwargs) -> OidcVerifier:
    jwks = JwksCache(
        ISSUER,
        http=provider.client(),
        min_refetch_s=kwargs.pop("min_refetch_s", 0),
        retry_after_failure_s=kwargs.pop("retry_after_failure_s", 0),
    )
    return OidcVerifier(
        issuer=ISSUER,
        audience="careline",
        jwks=jwks,
        role_claim="realm_access.roles",
        role_map={"cc-agents": "agent", "cc-supervisors": "supervisor"},
        **kwargs,
    )


async def test_a_provider_token_gives_mapped_roles_and_the_extension(provider: FakeProvider) -> None:
    principal = await verifier(provider).verify(provider.token())
    assert principal.subject == "idp-subject-1"
    assert principal.issuer == ISSUER
    assert principal.roles == {Role.AGENT}  # offline_access is not mapped: dropped
    assert principal.extension == "1002"
    assert principal.name == "dr.wang"


async def test_keys_are_cached_between_tokens(provider: FakeProvider) -> None:
    v = verifier(provider)
    await v.verify(provider.token())
    await v.verify(provider.token())
    assert provider.jwks_fetches == 1


async def test_a_rotated_key_is_fetched_once_its_kid_appears(provider: FakeProvider) -> None:
    v = verifier(provider)
    await v.verify(provider.token())
    new_key = RSAKey.generate_key(2048, parameters={"kid": "k2"})
    provider.keys.append(new_key)
    assert (await v.verify(provider.token(new_key))).roles == {Role.AGENT}
    assert provider.jwks_fetches == 2


async def test_an_unknown_kid_is_refused(provider: FakeProvider) -> None:
    stranger = RSAKey.generate_key(2048, parameters={"kid": "not-published"})
    with pytest.raises(AuthError, match="unknown signing key"):
        await verifier(provider).verify(provider.token(stranger))


async def test_a_key_with_a_published_kid_but_other_material_is_refused(provider: FakeProvider) -> None:
    impostor = RSAKey.generate_key(2048, parameters={"kid": "k1"})
    with pytest.raises(AuthError, match="signature"):
        await verifier(provider).verify(provider.token(impostor))


async def test_unknown_kids_do_not_hammer_the_provider(provider: FakeProvider) -> None:
    v = verifier(provider, min_refetch_s=3600)
    await v.verify(provider.token())
    stranger = RSAKey.generate_key(2048, parameters={"kid": "x"})
    for _ in range(3):
        with pytest.raises(AuthError):
            await v.verify(provider.token(stranger))
    assert provider.jwks_fetches == 1


async def test_jwks_down_denies(provider: FakeProvider) -> None:
    provider.down = True
    with pytest.raises(AuthUnavailable):
        await verifier(provider).verify(provider.token())


async def test_jwks_down_after_expiry_denies_even_with_keys_once_cached(provider: FakeProvider) -> None:
    jwks = JwksCache(ISSUER, http=provider.client(), ttl_s=0, retry_after_failure_s=0)
    v = OidcVerifier(issuer=ISSUER, audience="careline", jwks=jwks)
    await v.verify(provider.token())
    provider.down = True
    with pytest.raises(AuthUnavailable):
        await v.verify(provider.token())


async def test_a_discovery_document_naming_another_issuer_denies(provider: FakeProvider) -> None:
    provider.discovery_issuer = "https://evil.example"
    with pytest.raises(AuthUnavailable):
        await verifier(provider).verify(provider.token())


@pytest.mark.parametrize(
    ("changes", "reason"),
    [
        ({"aud": "another-client"}, "aud"),
        ({"iss": "https://evil.example"}, "iss"),
        ({"exp": int(time.time()) - 3600, "iat": int(time.time()) - 7200}, "expired"),
    ],
)
async def test_wrong_claims_are_refused(provider: FakeProvider, changes: dict, reason: str) -> None:
    with pytest.raises(AuthError, match=reason):
        await verifier(provider).verify(provider.token(**changes))


async def test_hmac_tokens_are_never_accepted_from_a_provider(provider: FakeProvider) -> None:
    from joserfc.jwk import OctKey

    key = OctKey.import_key(b"shared-secret-known-to-an-attacker!!")
    token = jwt.encode({"alg": "HS256", "kid": "k1"}, {"iss": ISSUER, "aud": "careline"}, key)
    with pytest.raises(AuthError, match="algorithm"):
        await verifier(provider).verify(token)


async def test_without_a_role_map_careline_role_names_are_taken_as_they_are(provider: FakeProvider) -> None:
    jwks = JwksCache(ISSUER, http=provider.client())
    v = OidcVerifier(issuer=ISSUER, audience="careline", jwks=jwks, role_claim="groups")
    principal = await v.verify(provider.token(groups=["qa", "Finance", "wheel"]))
    assert principal.roles == {Role.QA, Role.FINANCE}


async def test_the_authenticator_routes_by_issuer_and_refuses_an_unknown_one(provider: FakeProvider) -> None:
    settings = AuthSettings(
        oidc_issuer=ISSUER,
        oidc_audience="careline",
        oidc_role_claim="realm_access.roles",
        oidc_role_map={"cc-agents": "agent"},
    )
    auth = Authenticator.from_settings(settings, http=provider.client())
    assert (await auth.authenticate(provider.token())).roles == {Role.AGENT}
    own = auth.own.mint_access(subject="u-1", roles=[Role.ADMIN]).token
    assert (await auth.authenticate(own)).roles == {Role.ADMIN}
    with pytest.raises(AuthError, match="issuer"):
        await auth.authenticate(provider.token(iss="https://other.example"))


async def test_during_an_outage_requests_are_denied_without_each_waiting_on_the_provider(
    provider: FakeProvider,
) -> None:
    attempts = 0

    def counting(request: httpx.Request) -> httpx.Response:
        nonlocal attempts
        attempts += 1
        return provider.handler(request)

    jwks = JwksCache(ISSUER, http=httpx.AsyncClient(transport=httpx.MockTransport(counting)), ttl_s=0)
    v = OidcVerifier(issuer=ISSUER, audience="careline", jwks=jwks)
    provider.down = True
    for _ in range(5):
        with pytest.raises(AuthUnavailable):
            await v.verify(provider.token())
    assert attempts == 1


async def test_concurrent_first_requests_fetch_the_keys_once(provider: FakeProvider) -> None:
    import asyncio

    async def slow(request: httpx.Request) -> httpx.Response:
        await asyncio.sleep(0.05)  # the provider answers slowly: the other requests queue meanwhile
        return provider.handler(request)

    jwks = JwksCache(ISSUER, http=httpx.AsyncClient(transport=httpx.MockTransport(slow)))
    v = OidcVerifier(issuer=ISSUER, audience="careline", jwks=jwks)
    principals = await asyncio.gather(*(v.verify(provider.token()) for _ in range(5)))
    assert {p.subject for p in principals} == {"idp-subject-1"}
    assert provider.jwks_fetches == 1

"""Tokens from a hospital's own OpenID Connect provider (design §6, issue 9 §1).

The provider is named by its issuer URL; its signing keys come from its JWKS (``jwks_uri`` found by
discovery at ``<issuer>/.well-known/openid-configuration``, or set directly), fetched with httpx and kept
for ``ttl_s``. A token whose ``kid`` is not in the cached set triggers one refetch (providers rotate keys),
at most once per ``min_refetch_s``. Fails closed: when the keys cannot be fetched, every token is refused
(AuthUnavailable), never let through unchecked. Only asymmetric algorithms are accepted, so a public key
can never be used as an HMAC secret.

Roles come from a claim (dotted path: ``realm_access.roles`` for Keycloak, ``groups`` for others), mapped
through ``role_map`` (provider value -> careline role); with an empty map, values that are careline role
names are taken as they are. Unmapped values are dropped: a token with no careline role can reach nothing.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Mapping

import httpx
from joserfc.errors import JoseError
from joserfc.jwk import KeySet

from careline.core.auth.errors import AuthError, AuthUnavailable
from careline.core.auth.jwtcheck import unverified_header_and_claims, verify_jwt
from careline.core.auth.principal import Principal
from careline.core.auth.roles import Role, known_roles

log = logging.getLogger("careline.auth")

ASYMMETRIC_ALGORITHMS = (
    "RS256",
    "RS384",
    "RS512",
    "PS256",
    "PS384",
    "PS512",
    "ES256",
    "ES384",
    "EdDSA",
    "Ed25519",
)


class JwksCache:
    """A provider's key set, fetched on first use, kept ``ttl_s``, refetched on an unknown kid."""

    def __init__(
        self,
        issuer: str,
        *,
        jwks_url: str = "",
        http: httpx.AsyncClient | None = None,
        ttl_s: float = 300,
        min_refetch_s: float = 30,
        timeout_s: float = 5,
        retry_after_failure_s: float = 5,
    ) -> None:
        self.issuer = issuer.rstrip("/")
        self._jwks_url = jwks_url
        self._http = http
        self._ttl_s = ttl_s
        self._min_refetch_s = min_refetch_s
        self._timeout_s = timeout_s
        self._keys: KeySet | None = None
        self._fetched_at = float("-inf")
        self._failed_at = float("-inf")
        self._retry_after_failure_s = retry_after_failure_s
        self._lock = asyncio.Lock()

    async def key_for(self, kid: str | None):
        keys = await self._current()
        key = _find(keys, kid)
        if key is None and time.monotonic() - self._fetched_at >= self._min_refetch_s:
            keys = await self._refresh()
            key = _find(keys, kid)
        if key is None:
            raise AuthError("unknown signing key")
        return key

    async def _current(self) -> KeySet:
        if self._keys is not None and time.monotonic() - self._fetched_at < self._ttl_s:
            return self._keys
        return await self._refresh()

    async def _refresh(self) -> KeySet:
        asked_at = time.monotonic()
        async with self._lock:
            if self._keys is not None and self._fetched_at >= asked_at:
                return self._keys  # fetched by a request that held the lock while this one waited
            if time.monotonic() - self._failed_at < self._retry_after_failure_s:
                # During an outage requests are denied at once rather than each waiting on the provider.
                raise AuthUnavailable("identity provider keys unavailable")
            try:
                self._keys = await self._fetch()
            except (httpx.HTTPError, ValueError, KeyError, TypeError, JoseError) as exc:
                # Fail closed: stale keys are dropped too, so a provider that revoked a key is obeyed.
                self._keys = None
                self._failed_at = time.monotonic()
                log.warning("jwks of %s unavailable: %s", self.issuer, type(exc).__name__)
                raise AuthUnavailable("identity provider keys unavailable") from exc
            self._fetched_at = time.monotonic()
            return self._keys

    async def _fetch(self) -> KeySet:
        client = self._http or httpx.AsyncClient(timeout=self._timeout_s)
        try:
            url = self._jwks_url or await self._discover(client)
            response = await client.get(url, timeout=self._timeout_s)
            response.raise_for_status()
            return KeySet.import_key_set(response.json())
        finally:
            if self._http is None:
                await client.aclose()

    async def _discover(self, client: httpx.AsyncClient) -> str:
        response = await client.get(
            f"{self.issuer}/.well-known/openid-configuration", timeout=self._timeout_s
        )
        response.raise_for_status()
        document = response.json()
        if str(document["issuer"]).rstrip("/") != self.issuer:
            raise ValueError("discovery document names another issuer")
        return str(document["jwks_uri"])


def _find(keys: KeySet, kid: str | None):
    if kid is None:
        # Without a kid only a one-key set is unambiguous.
        return keys.keys[0] if len(keys.keys) == 1 else None
    return next((key for key in keys.keys if key.kid == kid), None)


class OidcVerifier:
    """Verifies one OpenID Connect provider's access or ID tokens into a Principal."""

    def __init__(
        self,
        *,
        issuer: str,
        audience: str,
        jwks: JwksCache,
        role_claim: str = "roles",
        role_map: Mapping[str, str] | None = None,
        extension_claim: str = "careline_extension",
        name_claim: str = "preferred_username",
        leeway_s: int = 10,
    ) -> None:
        if not audience:
            raise ValueError("an OpenID Connect provider needs an audience (careline's client id)")
        self.issuer = issuer
        self.audience = audience
        self.jwks = jwks
        self.role_claim = role_claim
        self.role_map = {k: Role(v) for k, v in (role_map or {}).items()}
        self.extension_claim = extension_claim
        self.name_claim = name_claim
        self.leeway_s = leeway_s

    async def verify(self, token: str) -> Principal:
        header, _ = unverified_header_and_claims(token)
        if header.get("alg") not in ASYMMETRIC_ALGORITHMS:
            raise AuthError("algorithm not accepted")
        key = await self.jwks.key_for(header.get("kid"))
        claims = verify_jwt(
            token,
            key,
            algorithms=ASYMMETRIC_ALGORITHMS,
            issuer=self.issuer,
            audience=self.audience,
            leeway_s=self.leeway_s,
        )
        extension = claims.get(self.extension_claim)
        return Principal(
            subject=str(claims["sub"]),
            roles=self.map_roles(_claim_at(claims, self.role_claim)),
            issuer=self.issuer,
            token_id=str(claims.get("jti") or ""),
            name=str(claims.get(self.name_claim) or ""),
            extension=str(extension) if extension else None,
            claims=claims,
        )

    def map_roles(self, values) -> frozenset[Role]:
        if isinstance(values, str):
            values = values.split()
        if not isinstance(values, list | tuple):
            return frozenset()
        if not self.role_map:
            return known_roles(values)
        return frozenset(self.role_map[v] for v in map(str, values) if v in self.role_map)


def _claim_at(claims: Mapping, path: str):
    value: object = claims
    for part in path.split("."):
        if not isinstance(value, Mapping):
            return None
        value = value.get(part)
    return value

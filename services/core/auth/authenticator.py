"""One place that turns a bearer token into a Principal, whichever issuer signed it (design §6).

The token's ``iss`` (read unverified) only picks the verifier; that verifier then checks everything,
the issuer included. An issuer that is not configured is refused.
"""

from __future__ import annotations

import inspect
from collections.abc import Iterable
from typing import Protocol

import httpx

from careline.core.auth.errors import AuthError
from careline.core.auth.jwtcheck import unverified_header_and_claims
from careline.core.auth.oidc import JwksCache, OidcVerifier
from careline.core.auth.own_issuer import OwnIssuer
from careline.core.auth.principal import Principal
from careline.core.auth.settings import AuthSettings


class Verifier(Protocol):
    issuer: str

    def verify(self, token: str): ...  # Principal, or an awaitable of one


class Authenticator:
    def __init__(self, verifiers: Iterable[Verifier], *, own: OwnIssuer | None = None) -> None:
        self._by_issuer = {v.issuer: v for v in verifiers}
        self.own = own

    @classmethod
    def from_settings(
        cls, settings: AuthSettings | None = None, *, env: str = "dev", http: httpx.AsyncClient | None = None
    ) -> Authenticator:
        """careline's own issuer, plus the OpenID Connect provider when ``oidc_issuer`` is set.

        ``env`` is the service's (``settings.env``): outside dev/test a weak signing secret is refused.
        """
        settings = settings or AuthSettings()
        settings.check_for(env)
        verifiers: list[Verifier] = []
        own = None
        if settings.signing_key or settings.verify_key:
            own = OwnIssuer.from_settings(settings)
            verifiers.append(own)
        if settings.oidc_issuer:
            jwks = JwksCache(
                settings.oidc_issuer,
                jwks_url=settings.oidc_jwks_url,
                http=http,
                ttl_s=settings.oidc_jwks_ttl_s,
            )
            verifiers.append(
                OidcVerifier(
                    issuer=settings.oidc_issuer,
                    audience=settings.oidc_audience,
                    jwks=jwks,
                    role_claim=settings.oidc_role_claim,
                    role_map=settings.oidc_role_map,
                    extension_claim=settings.oidc_extension_claim,
                    name_claim=settings.oidc_name_claim,
                    leeway_s=settings.leeway_s,
                )
            )
        return cls(verifiers, own=own)

    async def authenticate(self, token: str) -> Principal:
        _, claims = unverified_header_and_claims(token)
        issuer = claims.get("iss")
        verifier = self._by_issuer.get(issuer) if isinstance(issuer, str) else None
        if verifier is None:
            raise AuthError("issuer not accepted")
        principal = verifier.verify(token)
        if inspect.isawaitable(principal):
            principal = await principal
        return principal

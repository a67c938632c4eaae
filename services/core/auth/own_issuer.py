"""careline's own token issuer (design §6, issue 9 §1): short-lived access tokens for its users.

Signing: HS256 with a shared secret, or Ed25519 (RFC 9864's name for EdDSA over Ed25519) with a
private key in PEM; a verifying-only service holds the public PEM. Access tokens carry ``sub`` (user id),
``preferred_username``, ``roles``, ``ext`` (the agent's extension), ``jti``, ``iss``, ``aud``, ``iat``,
``nbf``, ``exp`` and the header ``typ: at+jwt`` (RFC 9068). Refresh tokens are opaque and live in the
users store (careline.core.auth.store).
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from joserfc import jwt
from joserfc.jwk import Key, OctKey, OKPKey

from careline.core.auth.errors import AuthError
from careline.core.auth.jwtcheck import verify_jwt
from careline.core.auth.principal import Principal
from careline.core.auth.roles import known_roles
from careline.core.auth.settings import AuthSettings
from careline.core.ids import uuid7

ACCESS_TOKEN_TYPE = "at+jwt"


@dataclass(frozen=True)
class IssuedAccessToken:
    token: str
    token_id: str
    expires_in: int


class OwnIssuer:
    """Mints (when it holds a signing key) and verifies careline's own access tokens."""

    def __init__(
        self,
        *,
        issuer: str,
        audience: str,
        signing_key: Key | None,
        verify_key: Key,
        algorithm: str,
        access_ttl_s: int = 300,
        leeway_s: int = 10,
    ) -> None:
        self.issuer = issuer
        self.audience = audience
        self.algorithm = algorithm
        self.access_ttl_s = access_ttl_s
        self.leeway_s = leeway_s
        self._signing_key = signing_key
        self._verify_key = verify_key

    @classmethod
    def from_settings(cls, settings: AuthSettings) -> OwnIssuer:
        signing, verifying, algorithm = _keys(settings)
        return cls(
            issuer=settings.issuer,
            audience=settings.audience,
            signing_key=signing,
            verify_key=verifying,
            algorithm=algorithm,
            access_ttl_s=settings.access_ttl_s,
            leeway_s=settings.leeway_s,
        )

    @property
    def can_sign(self) -> bool:
        return self._signing_key is not None

    def mint_access(
        self, *, subject: str, roles, name: str = "", extension: str | None = None, ttl_s: int | None = None
    ) -> IssuedAccessToken:
        if self._signing_key is None:
            raise RuntimeError("this service holds no signing key (CARELINE_AUTH_SIGNING_KEY)")
        now = int(time.time())
        ttl = self.access_ttl_s if ttl_s is None else ttl_s
        token_id = uuid7()
        claims = {
            "iss": self.issuer,
            "aud": self.audience,
            "sub": subject,
            "preferred_username": name,
            "roles": sorted(str(r) for r in roles),
            "jti": token_id,
            "iat": now,
            "nbf": now,
            "exp": now + ttl,
        }
        if extension:
            claims["ext"] = extension
        header = {"alg": self.algorithm, "typ": ACCESS_TOKEN_TYPE}
        token = jwt.encode(header, claims, self._signing_key, algorithms=[self.algorithm])
        return IssuedAccessToken(token=token, token_id=token_id, expires_in=ttl)

    def verify(self, token: str) -> Principal:
        claims = verify_jwt(
            token,
            self._verify_key,
            algorithms=[self.algorithm],
            issuer=self.issuer,
            audience=self.audience,
            leeway_s=self.leeway_s,
            require=("sub", "exp", "iat", "jti"),
        )
        roles = claims.get("roles")
        if not isinstance(roles, list):
            raise AuthError("claims refused (roles)")
        extension = claims.get("ext")
        return Principal(
            subject=str(claims["sub"]),
            roles=known_roles(roles),
            issuer=self.issuer,
            token_id=str(claims["jti"]),
            name=str(claims.get("preferred_username") or ""),
            extension=str(extension) if extension else None,
            claims=claims,
        )


def _keys(settings: AuthSettings) -> tuple[Key | None, Key, str]:
    """(signing key or None, verifying key, algorithm) from the settings."""
    if settings.signing_key.lstrip().startswith("-----BEGIN"):
        private = OKPKey.import_key(settings.signing_key)
        if not private.is_private:
            raise ValueError("CARELINE_AUTH_SIGNING_KEY is a public key; put it in CARELINE_AUTH_VERIFY_KEY")
        return private, private, "Ed25519"
    if settings.verify_key.lstrip().startswith("-----BEGIN"):
        return None, OKPKey.import_key(settings.verify_key), "Ed25519"
    if not settings.signing_key:
        raise ValueError("set CARELINE_AUTH_SIGNING_KEY (a secret, or an Ed25519 private key PEM)")
    secret = OctKey.import_key(settings.signing_key.encode())
    return secret, secret, "HS256"

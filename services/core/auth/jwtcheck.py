"""Checking a JWT's signature and claims with joserfc (design §6: a maintained JOSE library).

Shared by careline's own issuer and the OpenID Connect verifier: the caller picks the key and the one
algorithm family it accepts; ``alg: none`` and any algorithm not listed are refused by joserfc itself.
"""

from __future__ import annotations

import json
import time
from collections.abc import Collection

from joserfc import jwt
from joserfc.errors import ExpiredTokenError, JoseError
from joserfc.jwk import Key

from careline.core.auth.errors import AuthError

MAX_TOKEN_BYTES = 8192  # a bearer token bigger than this is not one of ours; refuse before parsing


def unverified_header_and_claims(token: str) -> tuple[dict, dict]:
    """The header and claims *before* any check: only to choose the issuer and key, never to trust."""
    if not token or len(token) > MAX_TOKEN_BYTES or token.count(".") != 2:
        raise AuthError("malformed token")
    try:
        from joserfc.util import urlsafe_b64decode

        head, body, _ = token.split(".")
        header = json.loads(urlsafe_b64decode(head.encode()))
        claims = json.loads(urlsafe_b64decode(body.encode()))
    except (ValueError, TypeError) as exc:
        raise AuthError("malformed token") from exc
    if not isinstance(header, dict) or not isinstance(claims, dict):
        raise AuthError("malformed token")
    return header, claims


def verify_jwt(
    token: str,
    key: Key,
    *,
    algorithms: Collection[str],
    issuer: str,
    audience: str,
    leeway_s: int,
    require: Collection[str] = ("sub", "exp", "iat"),
) -> dict:
    """The token's claims once signature, algorithm, issuer, audience, expiry and not-before all pass."""
    header, _ = unverified_header_and_claims(token)
    if header.get("alg") not in algorithms:
        raise AuthError("algorithm not accepted")
    try:
        decoded = jwt.decode(token, key, algorithms=list(algorithms))
    except JoseError as exc:
        raise AuthError(f"signature refused ({exc.error})") from exc
    essentials = {name: {"essential": True} for name in require}
    essentials["iss"] = {"essential": True, "value": issuer}
    essentials["aud"] = {"essential": True, "value": audience}
    registry = jwt.JWTClaimsRegistry(now=int(time.time()), leeway=leeway_s, **essentials)
    try:
        registry.validate(decoded.claims)
    except ExpiredTokenError as exc:
        raise AuthError("token expired") from exc
    except JoseError as exc:
        raise AuthError(f"claims refused ({exc.error}: {exc.description})") from exc
    return decoded.claims

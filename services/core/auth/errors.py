"""Why a token was refused (design §6). Every failure denies: there is no "could not check, allow"."""

from __future__ import annotations


class AuthError(Exception):
    """The token is missing, malformed, expired, for another issuer or audience, or its signature fails.

    ``reason`` is for logs (never includes the token); HTTP answers 401 with ``WWW-Authenticate: Bearer``.
    """

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class AuthUnavailable(AuthError):
    """The token could not be checked (an OpenID Connect provider's JWKS could not be fetched).

    Fails closed: the request is denied (HTTP 503, so a client knows to retry, not to log in again).
    """


class Forbidden(Exception):
    """A valid token without a role the operation admits (HTTP 403)."""

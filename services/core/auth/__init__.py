"""Identity and access for every careline service (design §6, issue 9 §1–2, R-ADM1).

Public surface:
    Role, Principal, require(*roles), AUTH_RESPONSES(route), Authenticator, AuthSettings
    OwnIssuer (careline's own tokens), OidcVerifier + JwksCache (a hospital's OpenID Connect provider)
    AuthError, AuthUnavailable
    the users store: careline.core.auth.store (add_user, find_user, list_users, disable_user, ...),
    migrate_users(url), TokenService + token_router() (POST /v1/auth/token)
    careline.core.auth.testing.TokenMinter for tests
See docs/adr/0003-identity-and-audit.md.
"""

from careline.core.auth.api import token_router
from careline.core.auth.authenticator import Authenticator
from careline.core.auth.deps import AUTH_RESPONSES, authenticate_request, current_principal, require
from careline.core.auth.errors import AuthError, AuthUnavailable
from careline.core.auth.migrate import migrate_users
from careline.core.auth.oidc import JwksCache, OidcVerifier
from careline.core.auth.own_issuer import OwnIssuer
from careline.core.auth.principal import Principal
from careline.core.auth.roles import Role
from careline.core.auth.service import GrantRefused, TokenPair, TokenService
from careline.core.auth.settings import AuthSettings

__all__ = [
    "AUTH_RESPONSES",
    "AuthError",
    "AuthSettings",
    "AuthUnavailable",
    "Authenticator",
    "GrantRefused",
    "JwksCache",
    "OidcVerifier",
    "OwnIssuer",
    "Principal",
    "Role",
    "TokenPair",
    "TokenService",
    "authenticate_request",
    "current_principal",
    "migrate_users",
    "require",
    "token_router",
]

"""The public surface of careline.core.auth and careline.core.audit is pinned (style: a small surface kept
small); a change here is a change every service's wiring sees (issue 9)."""

from __future__ import annotations

import careline.core.audit as audit
import careline.core.auth as auth


def test_auth_exports() -> None:
    assert sorted(auth.__all__) == [
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
    assert all(hasattr(auth, name) for name in auth.__all__)


def test_audit_exports() -> None:
    assert sorted(audit.__all__) == [
        "AuditEntry",
        "AuditFilter",
        "AuditLog",
        "AuditRecord",
        "ChainReport",
        "Outcome",
        "append",
        "audit_router",
        "client_address",
        "migrate_audit",
        "search",
        "verify_chain",
    ]
    assert all(hasattr(audit, name) for name in audit.__all__)

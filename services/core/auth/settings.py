"""Identity settings, shared by every service (design §6): ``CARELINE_AUTH_*`` variables.

One set for the whole suite, so all five services accept the same tokens. careline's own issuer signs
with ``signing_key``: a shared secret (HS256) or an Ed25519 private key in PEM (EdDSA). With EdDSA only the
service that mounts the token endpoint needs the private key; the others get ``verify_key`` (the public
PEM) and cannot mint tokens. An OpenID Connect provider is added with ``oidc_issuer`` (+ ``oidc_audience``,
the client id careline is registered as); its JWKS is found by discovery unless ``oidc_jwks_url`` is set.
"""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from careline.core.secrets import check_secret

# Shared by every service of a dev or test run so tokens work across the demo's five processes; its
# name is in careline.core.secrets.KNOWN_DEFAULTS, so prod refuses it.
DEV_SIGNING_KEY = "careline-dev-signing-key-not-for-production"


class AuthSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="CARELINE_AUTH_", extra="ignore")

    issuer: str = "careline"
    audience: str = "careline"
    signing_key: str = DEV_SIGNING_KEY
    verify_key: str = ""
    access_ttl_s: int = Field(300, ge=30, le=3600)
    refresh_ttl_s: int = Field(8 * 3600, ge=60, le=30 * 24 * 3600)
    leeway_s: int = Field(10, ge=0, le=120)
    db_url: str | None = None  # the users store (careline users, the token endpoint)

    oidc_issuer: str = ""
    oidc_audience: str = ""
    oidc_jwks_url: str = ""
    oidc_role_claim: str = "roles"  # dotted path, e.g. realm_access.roles (Keycloak)
    oidc_role_map: dict[str, str] = Field(default_factory=dict)  # provider's group/role -> careline role
    oidc_extension_claim: str = "careline_extension"
    oidc_name_claim: str = "preferred_username"
    oidc_jwks_ttl_s: int = Field(300, ge=10, le=86400)

    def check_for(self, env: str) -> None:
        """Outside dev/test: a signing secret that passes careline.core.secrets (never printed)."""
        if env in ("dev", "test"):
            return
        if self.signing_key and not self.signing_key.lstrip().startswith("-----BEGIN"):
            check_secret("CARELINE_AUTH_SIGNING_KEY", self.signing_key, min_length=32)
        if not self.signing_key and not self.verify_key and not self.oidc_issuer:
            raise ValueError(
                "no token issuer configured: set CARELINE_AUTH_SIGNING_KEY or CARELINE_AUTH_OIDC_*"
            )

"""Tokens for tests (issue 9): a service's tests mint what they need instead of logging in.

    minter = TokenMinter()                      # the dev settings every test service uses
    app.state.auth = minter.authenticator()
    headers = minter.headers(Role.AGENT, extension="1001")

Not for production code: it signs anything it is asked to.
"""

from __future__ import annotations

from careline.core.auth.authenticator import Authenticator
from careline.core.auth.own_issuer import OwnIssuer
from careline.core.auth.roles import Role
from careline.core.auth.settings import AuthSettings


class TokenMinter:
    def __init__(self, settings: AuthSettings | None = None) -> None:
        self.settings = settings or AuthSettings()
        self.issuer = OwnIssuer.from_settings(self.settings)

    def authenticator(self) -> Authenticator:
        return Authenticator([self.issuer], own=self.issuer)

    def token(
        self, *roles: Role, subject: str = "test-user", extension: str | None = None, ttl_s: int | None = None
    ) -> str:
        name = subject
        return self.issuer.mint_access(
            subject=subject, roles=roles, name=name, extension=extension, ttl_s=ttl_s
        ).token

    def headers(self, *roles: Role, **kwargs) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token(*roles, **kwargs)}"}

"""Who is calling (design §6): the actor of every record comes from here, never from a request body."""

from __future__ import annotations

from dataclasses import dataclass, field

from careline.core.auth.roles import Role


@dataclass(frozen=True)
class Principal:
    """A verified caller.

    subject: the token's ``sub`` (a careline user id, or the OpenID Connect provider's subject);
    name: a display name for audit lines (``preferred_username``), may be empty;
    roles: careline roles after mapping; extension: the agent's extension when the principal is an agent;
    token_id: the access token's ``jti`` (ties an audit row to one token); issuer: who vouched for it.
    """

    subject: str
    roles: frozenset[Role]
    issuer: str
    token_id: str = ""
    name: str = ""
    extension: str | None = None
    claims: dict = field(default_factory=dict, compare=False, repr=False)

    def has_any(self, *roles: Role) -> bool:
        return not roles or bool(self.roles.intersection(roles))

    @property
    def actor(self) -> str:
        """The string audit rows and records store as their actor: ``<issuer>|<subject>``."""
        return f"{self.issuer}|{self.subject}"

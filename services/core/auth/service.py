"""The token endpoint's logic (issue 9 §1): password grant and refresh with rotation and reuse detection.

Knows nothing of HTTP. Each grant runs in its own transaction; a refused refresh still commits, because
refusing a replay revokes the family and that revocation must stick.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from careline.core.auth import store
from careline.core.auth.own_issuer import OwnIssuer
from careline.core.auth.passwords import verify_password

log = logging.getLogger("careline.auth")


class GrantRefused(Exception):
    """RFC 6749 ``invalid_grant``; ``reason`` is for logs and audit only, never sent to the client."""

    def __init__(self, reason: str, *, username: str = "", user_id: str | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.username = username
        self.user_id = user_id


@dataclass(frozen=True)
class TokenPair:
    access_token: str
    refresh_token: str
    expires_in: int
    user_id: str
    username: str
    token_id: str


class TokenService:
    def __init__(
        self, issuer: OwnIssuer, sessions: async_sessionmaker[AsyncSession], *, refresh_ttl_s: int
    ) -> None:
        if not issuer.can_sign:
            raise ValueError("the token endpoint needs CARELINE_AUTH_SIGNING_KEY (a secret or a private key)")
        self.issuer = issuer
        self.sessions = sessions
        self.refresh_ttl_s = refresh_ttl_s

    async def password_grant(self, username: str, password: str) -> TokenPair:
        async with self.sessions.begin() as session:
            user = await store.find_user(username, session=session)
            # Always hash, even for an unknown user: the answer time does not tell who exists.
            ok = await verify_password(password, user.password_hash if user else None)
            if user is None or not ok:
                raise GrantRefused("bad user name or password", username=username)
            if user.disabled:
                raise GrantRefused("user disabled", username=username, user_id=user.id)
            refresh = await store.issue_refresh(user, session=session, ttl_s=self.refresh_ttl_s)
            return self._pair(refresh)

    async def refresh_grant(self, refresh_token: str) -> TokenPair:
        refused: store.RefreshRefused | None = None
        async with self.sessions.begin() as session:
            try:
                refresh = await store.rotate_refresh(refresh_token, session=session, ttl_s=self.refresh_ttl_s)
            except store.RefreshRefused as exc:
                refused = exc  # leave the block normally so the revocation commits
        if refused is not None:
            if refused.reused:
                log.warning("refresh token replayed for user %s: login revoked", refused.user_id)
            raise GrantRefused(refused.reason, user_id=refused.user_id) from refused
        return self._pair(refresh)

    def _pair(self, refresh: store.IssuedRefresh) -> TokenPair:
        user = refresh.user
        access = self.issuer.mint_access(
            subject=user.id, roles=store.user_roles(user), name=user.username, extension=user.extension
        )
        return TokenPair(
            access_token=access.token,
            refresh_token=refresh.token,
            expires_in=access.expires_in,
            user_id=user.id,
            username=user.username,
            token_id=access.token_id,
        )

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
    """Grants tokens; with ``audit`` (a careline.core.audit.AuditLog) every grant and refusal is recorded,
    and a token is handed out only once its grant is (an audit write that fails refuses the login)."""

    def __init__(
        self,
        issuer: OwnIssuer,
        sessions: async_sessionmaker[AsyncSession],
        *,
        refresh_ttl_s: int,
        audit=None,
    ) -> None:
        if not issuer.can_sign:
            raise ValueError("the token endpoint needs CARELINE_AUTH_SIGNING_KEY (a secret or a private key)")
        self.issuer = issuer
        self.sessions = sessions
        self.refresh_ttl_s = refresh_ttl_s
        self.audit = audit

    async def password_grant(self, username: str, password: str, *, source: str = "") -> TokenPair:
        refused: GrantRefused | None = None
        async with self.sessions.begin() as session:
            try:
                refresh = await self._check_password(username, password, session=session)
            except GrantRefused as exc:
                refused = exc  # leave the block normally so the failure count commits
        target = f"user:{username.strip()[:100]}"
        if refused is not None:
            await self._record(
                "auth.token.password", target, "denied", source, refused.reason, refused.user_id
            )
            raise refused
        pair = self._pair(refresh)
        await self._record("auth.token.password", target, "ok", source, "", pair.user_id, pair.token_id)
        return pair

    async def _check_password(self, username: str, password: str, *, session: AsyncSession):
        user = await store.find_user(username, session=session)
        # Always hash, even for an unknown or locked user: the answer time does not tell who exists.
        ok = await verify_password(password, user.password_hash if user else None)
        if user is None:
            raise GrantRefused("bad user name or password", username=username)
        if store.is_locked(user):
            raise GrantRefused("account locked after repeated failures", username=username, user_id=user.id)
        if not ok:
            locked = await store.note_failed_login(user, session=session)
            reason = "bad password; account now locked" if locked else "bad user name or password"
            raise GrantRefused(reason, username=username, user_id=user.id)
        if user.disabled:
            raise GrantRefused("user disabled", username=username, user_id=user.id)
        store.note_good_login(user)
        return await store.issue_refresh(user, session=session, ttl_s=self.refresh_ttl_s)

    async def refresh_grant(self, refresh_token: str, *, source: str = "") -> TokenPair:
        refused: store.RefreshRefused | None = None
        async with self.sessions.begin() as session:
            try:
                refresh = await store.rotate_refresh(refresh_token, session=session, ttl_s=self.refresh_ttl_s)
            except store.RefreshRefused as exc:
                refused = exc  # leave the block normally so the revocation commits
        if refused is not None:
            if refused.reused:
                log.warning("refresh token replayed for user %s: login revoked", refused.user_id)
            target = f"user-id:{refused.user_id}" if refused.user_id else "refresh-token"
            await self._record(
                "auth.token.refresh", target, "denied", source, refused.reason, refused.user_id
            )
            raise GrantRefused(refused.reason, user_id=refused.user_id) from refused
        pair = self._pair(refresh)
        target = f"user:{pair.username}"
        await self._record("auth.token.refresh", target, "ok", source, "", pair.user_id, pair.token_id)
        return pair

    async def _record(
        self,
        action: str,
        target: str,
        outcome: str,
        source: str,
        reason: str,
        user_id: str | None,
        token_id: str = "",
    ) -> None:
        if self.audit is None:
            return
        from careline.core.audit.writer import AuditEntry, Outcome

        # Before a login succeeds nobody is verified: the actor is the account it claims, when known.
        actor = f"{self.issuer.issuer}|{user_id}" if user_id else "anonymous"
        detail = {"reason": reason} if reason else {}
        entry = AuditEntry(
            action=action,
            target=target,
            actor=actor,
            token_id=token_id,
            outcome=Outcome(outcome),
            source=source,
            detail=detail,
        )
        await self.audit.record(entry)

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

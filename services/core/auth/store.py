"""careline's own users and refresh tokens (issue 9 §1): domain functions taking ``session=``.

Users: add, find, list, disable, set password. Refresh tokens: issue a new family at login, rotate on
use (the old token is spent, its successor issued in the same family), and revoke the whole family when a
spent token comes back (reuse detection: whoever holds the stolen copy and the rightful holder are both
logged out, and the replay is reported).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from dataclasses import dataclass

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from careline.core.auth.models import RefreshToken, User
from careline.core.auth.passwords import hash_password
from careline.core.auth.roles import Role, parse_roles
from careline.core.ids import uuid7


class UserExists(ValueError):
    pass


class UnknownUser(LookupError):
    pass


class RefreshRefused(Exception):
    """The refresh token is unknown, expired, revoked, its user disabled, or it was replayed."""

    def __init__(self, reason: str, *, reused: bool = False, user_id: str | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.reused = reused
        self.user_id = user_id


@dataclass(frozen=True)
class IssuedRefresh:
    token: str
    family_id: str
    user: User


def user_roles(user: User) -> frozenset[Role]:
    return parse_roles(user.roles.split())


def _utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _aware(value: dt.datetime) -> dt.datetime:
    """SQLite hands back naive datetimes; everything stored here is UTC."""
    return value if value.tzinfo else value.replace(tzinfo=dt.UTC)


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


async def add_user(
    username: str,
    password: str,
    roles,
    *,
    session: AsyncSession,
    extension: str | None = None,
    scrypt_n: int | None = None,
) -> User:
    username = username.strip()
    if not username or len(username) > 100:
        raise ValueError("a user name is 1 to 100 characters")
    parsed = parse_roles(roles)
    if not parsed:
        raise ValueError("a user needs at least one role")
    if await find_user(username, session=session) is not None:
        raise UserExists(username)
    kwargs = {} if scrypt_n is None else {"n": scrypt_n}
    user = User(
        id=uuid7(),
        username=username,
        password_hash=await hash_password(password, **kwargs),
        roles=" ".join(sorted(r.value for r in parsed)),
        extension=extension or None,
        disabled=False,
        failed_logins=0,
    )
    session.add(user)
    await session.flush()
    return user


async def find_user(username: str, *, session: AsyncSession) -> User | None:
    return await session.scalar(select(User).where(User.username == username.strip()))


async def list_users(*, session: AsyncSession) -> list[User]:
    return list(await session.scalars(select(User).order_by(User.username)))


async def disable_user(username: str, *, session: AsyncSession) -> User:
    """Disable a user and revoke every refresh token they hold (access tokens die within their TTL)."""
    user = await find_user(username, session=session)
    if user is None:
        raise UnknownUser(username)
    now = _utcnow()
    user.disabled = True
    user.updated_at = now
    await session.execute(
        update(RefreshToken)
        .where(RefreshToken.user_id == user.id, RefreshToken.revoked_at.is_(None))
        .values(revoked_at=now)
    )
    return user


async def set_password(
    username: str, password: str, *, session: AsyncSession, scrypt_n: int | None = None
) -> User:
    user = await find_user(username, session=session)
    if user is None:
        raise UnknownUser(username)
    kwargs = {} if scrypt_n is None else {"n": scrypt_n}
    user.password_hash = await hash_password(password, **kwargs)
    user.updated_at = _utcnow()
    note_good_login(user)  # an admin's reset also lifts a lockout
    return user


MAX_FAILED_LOGINS = 5
LOCKOUT_S = 15 * 60


def is_locked(user: User, *, now: dt.datetime | None = None) -> bool:
    return user.locked_until is not None and _aware(user.locked_until) > (now or _utcnow())


async def note_failed_login(user: User, *, session: AsyncSession) -> bool:
    """Count a wrong password; the MAX_FAILED_LOGINS-th in a row locks the account. True when locked now."""
    await session.execute(update(User).where(User.id == user.id).values(failed_logins=User.failed_logins + 1))
    await session.refresh(user, ["failed_logins"])
    if user.failed_logins < MAX_FAILED_LOGINS:
        return False
    user.failed_logins = 0
    user.locked_until = _utcnow() + dt.timedelta(seconds=LOCKOUT_S)
    return True


def note_good_login(user: User) -> None:
    user.failed_logins = 0
    user.locked_until = None


async def count_users(*, session: AsyncSession) -> int:
    return int(await session.scalar(select(func.count()).select_from(User)) or 0)


async def issue_refresh(
    user: User, *, session: AsyncSession, ttl_s: int, family_id: str | None = None
) -> IssuedRefresh:
    token = secrets.token_urlsafe(32)
    now = _utcnow()
    family = family_id or uuid7()
    session.add(
        RefreshToken(
            token_hash=_digest(token),
            family_id=family,
            user_id=user.id,
            issued_at=now,
            expires_at=now + dt.timedelta(seconds=ttl_s),
        )
    )
    await session.flush()
    return IssuedRefresh(token=token, family_id=family, user=user)


async def rotate_refresh(token: str, *, session: AsyncSession, ttl_s: int) -> IssuedRefresh:
    """Spend ``token`` and issue its successor; a spent token presented again revokes its family.

    The spend is a conditional UPDATE (``used_at IS NULL``), so two concurrent uses of one token cannot
    both succeed: the loser sees a replay. On refusal the caller must still COMMIT (the revocation).
    """
    row = await session.get(RefreshToken, _digest(token))
    if row is None:
        raise RefreshRefused("unknown refresh token")
    now = _utcnow()
    if row.revoked_at is not None:
        raise RefreshRefused("refresh token revoked", user_id=row.user_id)
    spent = await session.execute(
        update(RefreshToken)
        .where(RefreshToken.token_hash == row.token_hash, RefreshToken.used_at.is_(None))
        .values(used_at=now)
    )
    if spent.rowcount != 1:
        await revoke_family(row.family_id, session=session)
        raise RefreshRefused("refresh token reused: its login is revoked", reused=True, user_id=row.user_id)
    if _aware(row.expires_at) <= now:
        raise RefreshRefused("refresh token expired", user_id=row.user_id)
    user = await session.get(User, row.user_id)
    if user is None or user.disabled:
        await revoke_family(row.family_id, session=session)
        raise RefreshRefused("user disabled", user_id=row.user_id)
    return await issue_refresh(user, session=session, ttl_s=ttl_s, family_id=row.family_id)


async def revoke_family(family_id: str, *, session: AsyncSession) -> None:
    await session.execute(
        update(RefreshToken)
        .where(RefreshToken.family_id == family_id, RefreshToken.revoked_at.is_(None))
        .values(revoked_at=_utcnow())
    )

"""Tables of careline's own users and refresh tokens (issue 9 §1), on their own metadata.

They live in the database named by ``CARELINE_AUTH_DB_URL`` and are migrated by
``careline.core.auth.migrate_users`` (version table ``alembic_version_auth``), whichever service (or the
console) mounts the token endpoint.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Boolean, DateTime, ForeignKey, Index, Integer, String, Text, func
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from careline.core.db import new_metadata


class Base(DeclarativeBase):
    metadata = new_metadata()


class User(Base):
    __tablename__ = "auth_users"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    username: Mapped[str] = mapped_column(String(100), unique=True)
    password_hash: Mapped[str] = mapped_column(String(256))
    roles: Mapped[str] = mapped_column(Text)  # space-separated careline role names
    extension: Mapped[str | None] = mapped_column(String(32), nullable=True)
    disabled: Mapped[bool] = mapped_column(Boolean, default=False)
    # Password guessing: after MAX_FAILED_LOGINS wrong passwords in a row the account waits LOCKOUT_S.
    failed_logins: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class RefreshToken(Base):
    """One refresh token of a login's family; only its SHA-256 is stored (a leaked table logs nobody in).

    Rotation: using a token marks it ``used_at`` and issues its successor in the same family. A token
    presented again after use is a replay (stolen, or raced): the whole family is revoked.
    """

    __tablename__ = "auth_refresh_tokens"
    __table_args__ = (Index("ix_auth_refresh_tokens_family", "family_id"),)

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    family_id: Mapped[str] = mapped_column(String(36))
    user_id: Mapped[str] = mapped_column(String(36), ForeignKey("auth_users.id"))
    issued_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    expires_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    used_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    revoked_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)

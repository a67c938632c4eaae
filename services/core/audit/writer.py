"""Appending to the audit log (issue 9 §3, R-ADM2, design §6).

``append(session, entry)`` writes inside the caller's transaction, so a change and its audit row commit
or roll back together; ``AuditLog.record(...)`` opens its own (for reads, refusals and failures, which
have no transaction of their own to join). The actor always comes from a Principal (the token), never
from a request body. Appends are serialised: SQLite by its write lock (BEGIN IMMEDIATE), PostgreSQL by a
transaction-scoped advisory lock; the unique ``prev_hash`` refuses a fork should anything slip past.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from careline.core.audit.chain import GENESIS, canonical_detail, row_hash
from careline.core.audit.models import AuditRow
from careline.core.auth.principal import Principal

# pg_advisory_xact_lock key: any fixed 64-bit number, the same in every service sharing the database.
PG_LOCK_KEY = 0x6361726C696E65  # "careline"
MAX_DETAIL_CHARS = 16_000


class Outcome(StrEnum):
    OK = "ok"
    DENIED = "denied"
    FAILED = "failed"


@dataclass(frozen=True)
class AuditEntry:
    action: str
    target: str
    actor: str
    actor_roles: str = ""
    token_id: str = ""
    outcome: Outcome = Outcome.OK
    source: str = ""
    detail: Mapping[str, Any] = field(default_factory=dict)

    @classmethod
    def by(
        cls,
        principal: Principal,
        action: str,
        target: str,
        *,
        outcome: Outcome = Outcome.OK,
        source: str = "",
        detail: Mapping[str, Any] | None = None,
    ) -> AuditEntry:
        """An entry whose actor is the verified caller."""
        return cls(
            action=action,
            target=target,
            actor=principal.actor,
            actor_roles=" ".join(sorted(r.value for r in principal.roles)),
            token_id=principal.token_id,
            outcome=Outcome(outcome),
            source=source,
            detail=dict(detail or {}),
        )

    @classmethod
    def for_request(
        cls,
        request: Any,
        action: str,
        target: str,
        *,
        outcome: Outcome = Outcome.OK,
        detail: Mapping[str, Any] | None = None,
    ) -> AuditEntry:
        """An entry for the caller ``require()`` verified on this request, from the client's address.

        Raises on a request no ``require()`` guarded: an audit row never has an unverified actor.
        """
        principal = getattr(request.state, "principal", None)
        if not isinstance(principal, Principal):
            raise RuntimeError("audit entry for a request no require() guarded")
        source = client_address(request)
        return cls.by(principal, action, target, outcome=outcome, source=source, detail=detail)

    @classmethod
    def by_system(
        cls, service: str, action: str, target: str, *, source: str = "bus", **kwargs: Any
    ) -> AuditEntry:
        """An entry for work no person asked for (a bus handler, a timer): actor ``system:<service>``."""
        return cls(action=action, target=target, actor=f"system:{service}", source=source, **kwargs)


async def append(session: AsyncSession, entry: AuditEntry, *, service: str) -> AuditRow:
    """Chain ``entry`` onto the log inside ``session``'s transaction (the caller commits)."""
    detail = canonical_detail(entry.detail)
    if len(detail) > MAX_DETAIL_CHARS:
        raise ValueError(f"audit detail longer than {MAX_DETAIL_CHARS} characters")
    if session.bind.dialect.name == "postgresql":
        await session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": PG_LOCK_KEY})
    prev = await session.scalar(select(AuditRow.hash).order_by(AuditRow.id.desc()).limit(1))
    fields = {
        "at": dt.datetime.now(dt.UTC),
        "service": service[:32],
        "actor": entry.actor[:300],
        "actor_roles": entry.actor_roles[:200],
        "token_id": entry.token_id[:64],
        "action": entry.action[:100],
        "target": entry.target[:200],
        "outcome": Outcome(entry.outcome).value,
        "source": entry.source[:64],
        "detail": detail,
    }
    prev_hash = prev or GENESIS
    row = AuditRow(**fields, prev_hash=prev_hash, hash=row_hash(prev_hash, fields))
    session.add(row)
    await session.flush()
    return row


class AuditLog:
    """A service's audit log: ``app.state.audit = AuditLog(rt.sessions, service=settings.service)``."""

    def __init__(self, sessions: async_sessionmaker[AsyncSession], *, service: str) -> None:
        self.sessions = sessions
        self.service = service

    async def append(self, session: AsyncSession, entry: AuditEntry) -> AuditRow:
        return await append(session, entry, service=self.service)

    async def record(self, entry: AuditEntry) -> AuditRow:
        async with self.sessions.begin() as session:
            return await append(session, entry, service=self.service)


def client_address(request: Any) -> str:
    """Where a request came from: the peer address (a trusted proxy's forwarded-for is the wiring's job)."""
    client = getattr(request, "client", None)
    return str(client.host) if client and client.host else ""

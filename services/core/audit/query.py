"""Reading the audit log, for admins (issue 9 §3, R-ADM2 "searchable").

``search(session, AuditFilter(...))`` newest first with keyset paging (``before_id``); ``audit_router()``
serves it as ``GET /v1/audit`` and the chain check as ``GET /v1/audit/verify``, admins only, and each read
of the log is itself recorded.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Query, Request
from pydantic import BaseModel, Field
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from careline.core.audit.models import AuditRow
from careline.core.audit.verify import verify_chain
from careline.core.audit.writer import AuditEntry, AuditLog, client_address
from careline.core.auth.deps import require
from careline.core.auth.principal import Principal
from careline.core.auth.roles import Role

MAX_PAGE = 500
# Module level: with postponed annotations a local alias would not resolve and become a query parameter.
AdminPrincipal = Annotated[Principal, Depends(require(Role.ADMIN))]


class AuditFilter(BaseModel):
    actor: str | None = Field(None, max_length=300)
    action: str | None = Field(None, max_length=100, description="exact action, or a prefix ending in '.'")
    target: str | None = Field(None, max_length=200)
    outcome: str | None = Field(None, pattern="^(ok|denied|failed)$")
    since: dt.datetime | None = None
    until: dt.datetime | None = None
    before_id: int | None = Field(None, ge=1, le=2**62)
    limit: int = Field(100, ge=1, le=MAX_PAGE)


class AuditRecord(BaseModel):
    id: int
    at: dt.datetime
    service: str
    actor: str
    actor_roles: list[str]
    token_id: str
    action: str
    target: str
    outcome: str
    source: str
    detail: dict
    hash: str

    @classmethod
    def of(cls, row: AuditRow) -> AuditRecord:
        at = row.at if row.at.tzinfo else row.at.replace(tzinfo=dt.UTC)
        return cls(
            id=row.id,
            at=at,
            service=row.service,
            actor=row.actor,
            actor_roles=row.actor_roles.split(),
            token_id=row.token_id,
            action=row.action,
            target=row.target,
            outcome=row.outcome,
            source=row.source,
            detail=json.loads(row.detail),
            hash=row.hash,
        )


class AuditPage(BaseModel):
    records: list[AuditRecord]
    next_before_id: int | None


class ChainState(BaseModel):
    ok: bool
    rows: int
    head_hash: str
    broken_at: int | None
    problem: str


async def search(session: AsyncSession, where: AuditFilter) -> list[AuditRow]:
    query = select(AuditRow).order_by(AuditRow.id.desc()).limit(where.limit)
    if where.actor:
        query = query.where(AuditRow.actor == where.actor)
    if where.action:
        if where.action.endswith("."):
            query = query.where(AuditRow.action.startswith(where.action, autoescape=True))
        else:
            query = query.where(AuditRow.action == where.action)
    if where.target:
        query = query.where(AuditRow.target == where.target)
    if where.outcome:
        query = query.where(AuditRow.outcome == where.outcome)
    if where.since:
        query = query.where(AuditRow.at >= _utc(where.since))
    if where.until:
        query = query.where(AuditRow.at < _utc(where.until))
    if where.before_id:
        query = query.where(AuditRow.id < where.before_id)
    return list(await session.scalars(query))


def _utc(value: dt.datetime) -> dt.datetime:
    return value.astimezone(dt.UTC) if value.tzinfo else value.replace(tzinfo=dt.UTC)


def _audit_log(request: Request) -> AuditLog:
    log = getattr(request.app.state, "audit", None)
    if log is None:
        raise HTTPException(status_code=503, detail="audit log unavailable")
    return log


def audit_router() -> APIRouter:
    """``GET /v1/audit`` and ``GET /v1/audit/verify`` for admins; mount with app.include_router."""
    router = APIRouter(prefix="/v1/audit", tags=["audit"])

    @router.get("", response_model=AuditPage, responses={401: {}, 403: {}, 503: {}})
    async def list_audit(
        request: Request, principal: AdminPrincipal, where: Annotated[AuditFilter, Query()]
    ) -> AuditPage:
        log = _audit_log(request)
        async with log.sessions.begin() as session:
            rows = await search(session, where)
            await log.append(
                session,
                AuditEntry.by(
                    principal,
                    "audit.log.read",
                    "audit",
                    source=client_address(request),
                    detail=where.model_dump(exclude_none=True, mode="json"),
                ),
            )
        next_before = rows[-1].id if len(rows) == where.limit else None
        return AuditPage(records=[AuditRecord.of(r) for r in rows], next_before_id=next_before)

    @router.get("/verify", response_model=ChainState, responses={401: {}, 403: {}, 503: {}})
    async def verify_audit(request: Request, principal: AdminPrincipal) -> ChainState:
        log = _audit_log(request)
        async with log.sessions() as session:
            report = await verify_chain(session)
        await log.record(
            AuditEntry.by(
                principal,
                "audit.chain.verify",
                "audit",
                source=client_address(request),
                detail={"ok": report.ok, "rows": report.rows},
            )
        )
        return ChainState(**report.__dict__)

    return router

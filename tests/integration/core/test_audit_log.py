"""The audit log on SQLite and PostgreSQL (issue 9 §3, R-ADM2, design §5–6): the database refuses UPDATE,
DELETE (and TRUNCATE), concurrent appends form one unbroken chain, tampering past the triggers is found,
and admins (only) read it over HTTP — each read recorded."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError, IntegrityError

from careline.core import db
from careline.core.audit import AuditEntry, AuditLog, Outcome, audit_router, migrate_audit, verify_chain
from careline.core.audit.models import Base
from careline.core.auth import Principal, Role
from careline.core.auth.testing import TokenMinter
from careline.core.settings import ServiceSettings
from careline.core.web import add_readiness_check, service_app

AGENT = Principal(subject="u-1", roles=frozenset({Role.AGENT}), issuer="careline", token_id="t-1")


@pytest.fixture
async def audit(db_url: str) -> AsyncIterator[AuditLog]:
    await migrate_audit(db_url)
    engine = db.make_engine(db_url)
    try:
        yield AuditLog(db.session_factory(engine), service="crm")
    finally:
        await engine.dispose()


async def fill(log: AuditLog, count: int = 3) -> None:
    for n in range(count):
        await log.record(AuditEntry.by(AGENT, "crm.patient.read", f"patient:P{n}", source="10.0.0.1"))


async def test_the_migration_matches_the_models(db_url: str) -> None:
    await migrate_audit(db_url)
    assert await db.schema_diff(db_url, Base.metadata) == []


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE audit_log SET outcome = 'ok' WHERE id = 2",
        "DELETE FROM audit_log WHERE id = 2",
        "DELETE FROM audit_log",
    ],
)
async def test_the_database_refuses_to_rewrite_history(audit: AuditLog, statement: str) -> None:
    await fill(audit)
    with pytest.raises(DBAPIError, match="append-only"):
        async with audit.sessions.begin() as session:
            await session.execute(text(statement))
    async with audit.sessions() as session:
        report = await verify_chain(session)
    assert report.ok and report.rows == 3


async def test_postgres_refuses_truncate(audit: AuditLog, db_url: str) -> None:
    if not db_url.startswith("postgresql"):
        pytest.skip("TRUNCATE is PostgreSQL's")
    await fill(audit)
    with pytest.raises(DBAPIError, match="append-only"):
        async with audit.sessions.begin() as session:
            await session.execute(text("TRUNCATE audit_log"))


async def test_tampering_past_dropped_triggers_is_found(audit: AuditLog, db_url: str) -> None:
    await fill(audit, 4)
    async with audit.sessions.begin() as session:
        if db_url.startswith("sqlite"):
            await session.execute(text("DROP TRIGGER audit_log_no_delete"))
        else:
            await session.execute(text("ALTER TABLE audit_log DISABLE TRIGGER audit_log_no_rewrite"))
        await session.execute(text("DELETE FROM audit_log WHERE target = 'patient:P1'"))
    async with audit.sessions() as session:
        report = await verify_chain(session)
    assert not report.ok and "follow" in report.problem and report.rows == 1


async def test_concurrent_appends_make_one_unbroken_chain(audit: AuditLog) -> None:
    async def one(n: int) -> None:
        for attempt in range(20):
            try:
                await audit.record(AuditEntry.by(AGENT, "crm.patient.read", f"patient:C{n}"))
                return
            except Exception as exc:  # SQLite lock contention on two cores: retry like core.db.retry_locked
                if not db.is_lock_error(exc) or attempt == 19:
                    raise
                await asyncio.sleep(0.05)

    await asyncio.gather(*(one(n) for n in range(20)))
    async with audit.sessions() as session:
        report = await verify_chain(session)
    assert report.ok and report.rows == 20


async def test_a_fork_is_refused_by_the_unique_previous_hash(audit: AuditLog) -> None:
    await fill(audit, 2)
    async with audit.sessions() as session:
        first = (await session.execute(text("SELECT * FROM audit_log ORDER BY id LIMIT 1"))).mappings().one()
    with pytest.raises(IntegrityError):
        async with audit.sessions.begin() as session:
            await session.execute(
                text(
                    "INSERT INTO audit_log (at, service, actor, actor_roles, token_id, action, target,"
                    " outcome, source, detail, prev_hash, hash)"
                    " VALUES (:at, 'x', 'x', '', '', 'x', 'x', 'ok', '', '{}', :prev, :hash)"
                ),
                {"at": first["at"], "prev": first["prev_hash"], "hash": "f" * 64},
            )


def _app(audit: AuditLog, minter: TokenMinter) -> FastAPI:
    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        add_readiness_check(app, "db", lambda: True)
        yield

    app = service_app(ServiceSettings(service="crm", env="test"), lifespan, title="crm")
    app.state.auth = minter.authenticator()
    app.state.audit = audit
    app.include_router(audit_router())
    return app


async def test_admins_read_and_verify_the_log_over_http_and_others_cannot(audit: AuditLog) -> None:
    await fill(audit, 3)
    await audit.record(AuditEntry.by(AGENT, "crm.patient.update", "patient:P0", outcome=Outcome.DENIED))
    minter = TokenMinter()
    app = _app(audit, minter)
    admin = minter.headers(Role.ADMIN, subject="admin-1")
    async with app.router.lifespan_context(app):
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app), base_url="http://crm") as client:
            assert (await client.get("/v1/audit")).status_code == 401
            for role in (Role.AGENT, Role.SUPERVISOR, Role.QA, Role.FINANCE):
                assert (await client.get("/v1/audit", headers=minter.headers(role))).status_code == 403
            page = await client.get("/v1/audit", params={"target": "patient:P0", "limit": 10}, headers=admin)
            assert page.status_code == 200, page.text
            records = page.json()["records"]
            assert [(r["action"], r["outcome"]) for r in records] == [
                ("crm.patient.update", "denied"),
                ("crm.patient.read", "ok"),
            ]
            assert records[0]["actor"] == "careline|u-1" and records[0]["source"] == ""
            prefix = await client.get("/v1/audit", params={"action": "crm.", "limit": 2}, headers=admin)
            assert len(prefix.json()["records"]) == 2 and prefix.json()["next_before_id"] is not None
            bad = await client.get("/v1/audit", params={"limit": 100000}, headers=admin)
            assert bad.status_code == 422
            verified = await client.get("/v1/audit/verify", headers=admin)
            assert verified.status_code == 200 and verified.json()["ok"] is True
    async with audit.sessions() as session:
        rows = (
            await session.execute(text("SELECT action, actor, target, outcome FROM audit_log ORDER BY id"))
        ).all()
    reads = [actor for action, actor, _, _ in rows if action.startswith("audit.")]
    denied = [target for _, _, target, outcome in rows if outcome == "denied"]
    # Every read that got through was recorded, by the admin (list, list by prefix, verify) ...
    assert reads == ["careline|admin-1"] * 3
    # ... and every 403 too (after the fixture's own denied update); a 401 has no actor and is not.
    assert denied == ["patient:P0"] + ["GET /v1/audit"] * 4

"""careline's own users and the token endpoint on SQLite and PostgreSQL (issue 9 §1, R-ADM1, design §5–6).

Password grant, refresh rotation, reuse detection (a replayed refresh token revokes its whole login),
disabled users, the migration matching the models, and a token from the endpoint opening a guarded route.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
import pytest
from fastapi import APIRouter, Depends, FastAPI, Request
from sqlalchemy.exc import IntegrityError

from careline.core import db
from careline.core.auth import (
    AuthSettings,
    OwnIssuer,
    Role,
    TokenService,
    migrate_users,
    require,
    store,
    token_router,
)
from careline.core.auth.authenticator import Authenticator
from careline.core.auth.models import Base
from careline.core.auth.service import GrantRefused
from careline.core.settings import ServiceSettings
from careline.core.web import add_readiness_check, service_app

FAST_SCRYPT = 2**10
PASSWORD = "Ward-7 night shift, bed 12"


@pytest.fixture
async def sessions(db_url: str) -> AsyncIterator:
    await migrate_users(db_url)
    engine = db.make_engine(db_url)
    try:
        yield db.session_factory(engine)
    finally:
        await engine.dispose()


@pytest.fixture
def issuer() -> OwnIssuer:
    return OwnIssuer.from_settings(AuthSettings(signing_key="Zq8#vN2!pL5xR7wT9kM3cB6yH1jF4dS0"))


async def add(sessions, name: str = "li.na", roles=("agent",), extension: str | None = "1001"):
    async with sessions.begin() as session:
        return await store.add_user(
            name, PASSWORD, roles, session=session, extension=extension, scrypt_n=FAST_SCRYPT
        )


async def test_the_migration_matches_the_models(db_url: str) -> None:
    await migrate_users(db_url)
    assert await db.schema_diff(db_url, Base.metadata) == []


async def test_users_are_added_listed_and_disabled(sessions) -> None:
    await add(sessions, "zhao", roles=["admin"], extension=None)
    await add(sessions, "li.na", roles=["agent", "expert"])
    async with sessions() as session:
        users = await store.list_users(session=session)
    assert [(u.username, u.roles, u.extension, u.disabled) for u in users] == [
        ("li.na", "agent expert", "1001", False),
        ("zhao", "admin", None, False),
    ]
    assert PASSWORD not in users[0].password_hash
    with pytest.raises(store.UserExists):
        await add(sessions, "zhao")
    async with sessions.begin() as session:
        await store.disable_user("zhao", session=session)
    async with sessions() as session:
        assert (await store.find_user("zhao", session=session)).disabled


async def test_the_database_refuses_a_second_user_of_the_same_name(sessions) -> None:
    from careline.core.auth.models import User

    await add(sessions, "dup")
    with pytest.raises(IntegrityError):
        async with sessions.begin() as session:
            session.add(User(id="x", username="dup", password_hash="h", roles="agent", disabled=False))


async def test_password_grant_and_refresh_rotation(sessions, issuer: OwnIssuer) -> None:
    await add(sessions)
    service = TokenService(issuer, sessions, refresh_ttl_s=600)
    first = await service.password_grant("li.na", PASSWORD)
    principal = issuer.verify(first.access_token)
    assert principal.roles == {Role.AGENT} and principal.extension == "1001" and principal.name == "li.na"
    second = await service.refresh_grant(first.refresh_token)
    assert second.refresh_token != first.refresh_token
    assert issuer.verify(second.access_token).subject == principal.subject
    third = await service.refresh_grant(second.refresh_token)
    assert third.user_id == principal.subject


async def test_a_replayed_refresh_token_revokes_the_whole_login(sessions, issuer: OwnIssuer) -> None:
    await add(sessions)
    service = TokenService(issuer, sessions, refresh_ttl_s=600)
    stolen = (await service.password_grant("li.na", PASSWORD)).refresh_token
    rightful = await service.refresh_grant(stolen)  # the rightful holder rotates first
    with pytest.raises(GrantRefused, match="reused"):
        await service.refresh_grant(stolen)  # the thief replays the spent token
    with pytest.raises(GrantRefused, match="revoked"):
        await service.refresh_grant(rightful.refresh_token)  # the family is gone for both
    # A separate login of the same user is untouched.
    other = await service.password_grant("li.na", PASSWORD)
    assert (await service.refresh_grant(other.refresh_token)).username == "li.na"


async def test_two_concurrent_uses_of_one_refresh_token_cannot_both_succeed(sessions, issuer) -> None:
    await add(sessions)
    service = TokenService(issuer, sessions, refresh_ttl_s=600)
    token = (await service.password_grant("li.na", PASSWORD)).refresh_token
    results = await asyncio.gather(
        service.refresh_grant(token), service.refresh_grant(token), return_exceptions=True
    )
    assert sum(not isinstance(r, BaseException) for r in results) <= 1


@pytest.mark.parametrize(
    ("username", "password"), [("li.na", "wrong password!"), ("nobody", PASSWORD), ("LI.NA ", "x")]
)
async def test_bad_credentials_are_refused(sessions, issuer, username: str, password: str) -> None:
    await add(sessions)
    with pytest.raises(GrantRefused):
        await TokenService(issuer, sessions, refresh_ttl_s=600).password_grant(username, password)


async def test_a_disabled_user_can_neither_log_in_nor_refresh(sessions, issuer: OwnIssuer) -> None:
    await add(sessions)
    service = TokenService(issuer, sessions, refresh_ttl_s=600)
    pair = await service.password_grant("li.na", PASSWORD)
    async with sessions.begin() as session:
        await store.disable_user("li.na", session=session)
    with pytest.raises(GrantRefused, match="disabled"):
        await service.password_grant("li.na", PASSWORD)
    with pytest.raises(GrantRefused):
        await service.refresh_grant(pair.refresh_token)


async def test_an_expired_refresh_token_is_refused(sessions, issuer: OwnIssuer) -> None:
    await add(sessions)
    service = TokenService(issuer, sessions, refresh_ttl_s=-1)
    pair = await service.password_grant("li.na", PASSWORD)
    with pytest.raises(GrantRefused, match="expired"):
        await service.refresh_grant(pair.refresh_token)


def _app(service: TokenService, issuer: OwnIssuer) -> FastAPI:
    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        add_readiness_check(app, "db", lambda: True)
        yield

    app = service_app(ServiceSettings(service="console", env="test"), lifespan, title="console")
    app.state.auth = Authenticator([issuer], own=issuer)
    app.state.auth_tokens = service
    app.include_router(token_router())
    guarded = APIRouter(prefix="/v1")

    @guarded.get("/me")
    async def me(request: Request) -> dict:
        principal = request.state.principal  # set by the router's one require()
        return {"sub": principal.subject, "roles": sorted(principal.roles)}

    app.include_router(guarded, dependencies=[Depends(require(Role.AGENT))])
    return app


async def test_the_token_endpoint_over_http(sessions, issuer: OwnIssuer) -> None:
    user = await add(sessions)
    app = _app(TokenService(issuer, sessions, refresh_ttl_s=600), issuer)
    async with app.router.lifespan_context(app):
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app), base_url="http://c") as client:
            got = await client.post(
                "/v1/auth/token", data={"grant_type": "password", "username": "li.na", "password": PASSWORD}
            )
            assert got.status_code == 200, got.text
            assert got.headers["cache-control"] == "no-store"
            body = got.json()
            assert body["token_type"] == "Bearer" and body["expires_in"] == 300
            me = await client.get("/v1/me", headers={"Authorization": f"Bearer {body['access_token']}"})
            assert me.json() == {"sub": user.id, "roles": ["agent"]}

            renewed = await client.post(
                "/v1/auth/token", data={"grant_type": "refresh_token", "refresh_token": body["refresh_token"]}
            )
            assert renewed.status_code == 200
            replay = await client.post(
                "/v1/auth/token", data={"grant_type": "refresh_token", "refresh_token": body["refresh_token"]}
            )
            assert replay.status_code == 400 and replay.json()["error"] == "invalid_grant"

            wrong = await client.post(
                "/v1/auth/token", data={"grant_type": "password", "username": "li.na", "password": "nope"}
            )
            unknown = await client.post(
                "/v1/auth/token", data={"grant_type": "password", "username": "ghost", "password": "nope"}
            )
            assert wrong.status_code == unknown.status_code == 400
            assert wrong.json() == unknown.json()  # no telling who exists
            odd = await client.post("/v1/auth/token", data={"grant_type": "client_credentials"})
            assert odd.json()["error"] == "unsupported_grant_type"


async def test_repeated_wrong_passwords_lock_the_account_until_an_admin_resets_it(sessions, issuer) -> None:
    await add(sessions)
    service = TokenService(issuer, sessions, refresh_ttl_s=600)
    for _ in range(store.MAX_FAILED_LOGINS - 1):
        with pytest.raises(GrantRefused, match="bad user name or password"):
            await service.password_grant("li.na", "guess")
    assert (await service.password_grant("li.na", PASSWORD)).username == "li.na"  # success resets the count
    for _ in range(store.MAX_FAILED_LOGINS):
        with pytest.raises(GrantRefused):
            await service.password_grant("li.na", "guess")
    with pytest.raises(GrantRefused, match="locked"):
        await service.password_grant("li.na", PASSWORD)  # even the right password waits out the lockout
    async with sessions.begin() as session:
        await store.set_password("li.na", PASSWORD, session=session, scrypt_n=FAST_SCRYPT)
    assert (await service.password_grant("li.na", PASSWORD)).username == "li.na"


async def test_grants_and_refusals_are_audited(sessions, issuer, db_url: str) -> None:
    from careline.core.audit import AuditLog, migrate_audit, verify_chain

    await migrate_audit(db_url)
    user = await add(sessions)
    audit = AuditLog(sessions, service="console")
    service = TokenService(issuer, sessions, refresh_ttl_s=600, audit=audit)
    pair = await service.password_grant("li.na", PASSWORD, source="10.9.8.7")
    with pytest.raises(GrantRefused):
        await service.password_grant("li.na", "guess", source="10.9.8.7")
    with pytest.raises(GrantRefused):
        await service.password_grant("ghost", "guess")
    await service.refresh_grant(pair.refresh_token)
    with pytest.raises(GrantRefused):
        await service.refresh_grant(pair.refresh_token)
    async with sessions() as session:
        from sqlalchemy import text

        rows = (
            await session.execute(
                text("SELECT action, actor, target, outcome, source FROM audit_log ORDER BY id")
            )
        ).all()
        assert (await verify_chain(session)).ok
    me = f"careline|{user.id}"
    assert [tuple(r) for r in rows] == [
        ("auth.token.password", me, "user:li.na", "ok", "10.9.8.7"),
        ("auth.token.password", me, "user:li.na", "denied", "10.9.8.7"),
        ("auth.token.password", "anonymous", "user:ghost", "denied", ""),
        ("auth.token.refresh", me, "user:li.na", "ok", ""),
        ("auth.token.refresh", me, f"user-id:{user.id}", "denied", ""),
    ]

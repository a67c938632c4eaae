"""``require(*roles)`` on a tiny service (issue 9 §1–2, design §6): 401 with a Bearer challenge, 403 for a
wrong role, 200 for a right one, 503 (denied) when tokens cannot be checked; probes stay open."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Annotated

import httpx
import pytest
from fastapi import APIRouter, Depends, FastAPI

from careline.core.auth import (
    AUTH_RESPONSES,
    AuthSettings,
    AuthUnavailable,
    Principal,
    Role,
    current_principal,
    require,
)
from careline.core.auth.testing import TokenMinter
from careline.core.settings import ServiceSettings
from careline.core.web import add_readiness_check, service_app

STRONG = "Zq8#vN2!pL5xR7wT9kM3cB6yH1jF4dS0"


def tiny_app(minter: TokenMinter | None) -> FastAPI:
    """A service shaped like the real ones: a /v1 router guarded as a whole, one route guarded more."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        add_readiness_check(app, "always", lambda: True)
        yield

    app = service_app(ServiceSettings(service="tiny", env="test"), lifespan, title="tiny")
    if minter is not None:
        app.state.auth = minter.authenticator()
    router = APIRouter(prefix="/v1")

    @router.get("/calls")
    async def calls(principal: Annotated[Principal, Depends(current_principal)]) -> dict:
        return {"actor": principal.actor}

    admin = APIRouter(prefix="/v1", responses=AUTH_RESPONSES)  # a route needing other roles: its own router

    @admin.post("/config")
    async def config(principal: Annotated[Principal, Depends(require(Role.ADMIN))]) -> dict:
        return {"by": principal.subject, "roles": sorted(principal.roles)}

    @admin.get("/unguarded")
    async def unguarded(principal: Annotated[Principal, Depends(current_principal)]) -> dict:
        return {"actor": principal.actor}

    @admin.get("/nested", dependencies=[Depends(require(Role.ADMIN)), Depends(require(Role.QA))])
    async def nested() -> dict:
        return {}

    app.include_router(
        router,
        dependencies=[Depends(require(Role.AGENT, Role.SUPERVISOR, Role.ADMIN))],
        responses=AUTH_RESPONSES,
    )
    app.include_router(admin)
    return app


@pytest.fixture
def minter() -> TokenMinter:
    return TokenMinter(AuthSettings(signing_key=STRONG))


async def call(app: FastAPI, method: str, path: str, headers: dict | None = None) -> httpx.Response:
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app)
        async with httpx.AsyncClient(transport=transport, base_url="http://tiny") as client:
            return await client.request(method, path, headers=headers or {})


async def test_no_token_is_401_with_a_bearer_challenge(minter: TokenMinter) -> None:
    response = await call(tiny_app(minter), "GET", "/v1/calls")
    assert response.status_code == 401
    assert response.headers["www-authenticate"].startswith("Bearer")


@pytest.mark.parametrize(
    "authorization", ["Bearer", "Bearer not.a.jwt", "Basic YWRtaW46YWRtaW4=", "Token abc", "bearer a.b.c"]
)
async def test_a_bad_authorization_header_is_401(minter: TokenMinter, authorization: str) -> None:
    response = await call(tiny_app(minter), "GET", "/v1/calls", {"Authorization": authorization})
    assert response.status_code == 401
    assert "Bearer" in response.headers["www-authenticate"]


async def test_an_expired_token_is_401(minter: TokenMinter) -> None:
    minter.issuer.leeway_s = 0
    headers = minter.headers(Role.AGENT, ttl_s=-1)
    response = await call(tiny_app(minter), "GET", "/v1/calls", headers)
    assert response.status_code == 401
    assert 'error="invalid_token"' in response.headers["www-authenticate"]


async def test_a_token_from_another_key_is_401(minter: TokenMinter) -> None:
    stranger = TokenMinter(AuthSettings(signing_key="Another#Strong!Key-9f8e7d6c5b4a3210"))
    response = await call(tiny_app(minter), "GET", "/v1/calls", stranger.headers(Role.ADMIN))
    assert response.status_code == 401


async def test_a_role_not_admitted_is_403(minter: TokenMinter) -> None:
    for role in (Role.KIOSK, Role.FINANCE, Role.INTEGRATOR, Role.QA, Role.EXPERT):
        response = await call(tiny_app(minter), "GET", "/v1/calls", minter.headers(role))
        assert response.status_code == 403, role
    response = await call(tiny_app(minter), "POST", "/v1/config", minter.headers(Role.SUPERVISOR))
    assert response.status_code == 403


async def test_no_roles_at_all_is_403(minter: TokenMinter) -> None:
    response = await call(tiny_app(minter), "GET", "/v1/calls", minter.headers())
    assert response.status_code == 403


async def test_an_admitted_role_is_200_and_the_actor_comes_from_the_token(minter: TokenMinter) -> None:
    response = await call(tiny_app(minter), "GET", "/v1/calls", minter.headers(Role.AGENT, subject="u-42"))
    assert response.status_code == 200
    assert response.json() == {"actor": "careline|u-42"}
    response = await call(tiny_app(minter), "POST", "/v1/config", minter.headers(Role.ADMIN, subject="a-1"))
    assert response.status_code == 200
    assert response.json() == {"by": "a-1", "roles": ["admin"]}


@pytest.mark.parametrize("path", ["/healthz", "/readyz", "/metrics"])
async def test_probes_need_no_token(minter: TokenMinter, path: str) -> None:
    response = await call(tiny_app(minter), "GET", path)
    assert response.status_code == 200


async def test_an_app_without_an_authenticator_denies(minter: TokenMinter) -> None:
    response = await call(tiny_app(None), "GET", "/v1/calls", minter.headers(Role.ADMIN))
    assert response.status_code == 503


async def test_tokens_that_cannot_be_checked_are_denied(minter: TokenMinter) -> None:
    class ProviderDown:
        async def authenticate(self, token: str) -> Principal:
            raise AuthUnavailable("identity provider keys unavailable")

    app = tiny_app(minter)
    app.state.auth = ProviderDown()
    response = await call(app, "GET", "/v1/calls", minter.headers(Role.ADMIN))
    assert response.status_code == 503


def test_openapi_declares_the_bearer_scheme_and_the_refusals(minter: TokenMinter) -> None:
    spec = tiny_app(minter).openapi()
    assert spec["components"]["securitySchemes"]["bearer"] == {
        "type": "http",
        "scheme": "bearer",
        "description": "careline access token (JWT)",
    }
    calls, config = spec["paths"]["/v1/calls"]["get"], spec["paths"]["/v1/config"]["post"]
    # The roles each operation admits are in its security requirement (OpenAPI 3.1 role names).
    assert calls["security"] == [{"bearer": ["agent", "supervisor", "admin"]}]
    assert config["security"] == [{"bearer": ["admin"]}]
    for operation in (calls, config):
        assert {"401", "403", "503"} <= set(operation["responses"])


async def test_two_guards_on_one_operation_are_refused(minter: TokenMinter) -> None:
    with pytest.raises(RuntimeError, match="more than one"):
        await call(tiny_app(minter), "GET", "/v1/nested", minter.headers(Role.ADMIN, Role.QA))


async def test_reading_the_caller_on_an_unguarded_route_fails_closed(minter: TokenMinter) -> None:
    with pytest.raises(RuntimeError, match="no require"):
        await call(tiny_app(minter), "GET", "/v1/unguarded", minter.headers(Role.ADMIN))

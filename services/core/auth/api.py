"""``POST /v1/auth/token`` (RFC 6749 §4.3 password grant, §6 refresh), for a service or the console to mount.

Wiring: ``app.state.auth_tokens = TokenService(...)`` in the lifespan, ``app.include_router(token_router())``.
The route itself is open (it is how one gets a token). Refusals are RFC 6749 errors with one description
for every cause, so a caller cannot tell an unknown user from a wrong password or a disabled account.
"""

from __future__ import annotations

import logging
from typing import Annotated, Literal

from fastapi import APIRouter, Form, HTTPException, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from careline.core.auth.service import GrantRefused, TokenService

log = logging.getLogger("careline.auth")

NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}


class TokenResponse(BaseModel):
    access_token: str
    token_type: Literal["Bearer"] = "Bearer"
    expires_in: int
    refresh_token: str


class TokenError(BaseModel):
    error: Literal["invalid_request", "invalid_grant", "unsupported_grant_type"]
    error_description: str


def token_router() -> APIRouter:
    router = APIRouter(prefix="/v1/auth", tags=["auth"])

    @router.post(
        "/token",
        response_model=TokenResponse,
        responses={400: {"model": TokenError}, 503: {"description": "token endpoint not configured"}},
    )
    async def token(
        request: Request,
        grant_type: Annotated[str, Form(max_length=32)],
        username: Annotated[str | None, Form(max_length=100)] = None,
        password: Annotated[str | None, Form(max_length=1024)] = None,
        refresh_token: Annotated[str | None, Form(max_length=256)] = None,
    ) -> JSONResponse:
        service: TokenService | None = getattr(request.app.state, "auth_tokens", None)
        if service is None:
            raise HTTPException(status_code=503, detail="token endpoint not configured")
        try:
            if grant_type == "password":
                if not username or password is None:
                    return _error("invalid_request", "username and password are required")
                pair = await service.password_grant(username, password, source=client_address(request))
            elif grant_type == "refresh_token":
                if not refresh_token:
                    return _error("invalid_request", "refresh_token is required")
                pair = await service.refresh_grant(refresh_token, source=client_address(request))
            else:
                return _error("unsupported_grant_type", "use password or refresh_token")
        except GrantRefused as exc:
            log.info("token refused (%s): %s", grant_type, exc.reason)
            return _error("invalid_grant", "the credentials were refused")
        body = TokenResponse(
            access_token=pair.access_token, expires_in=pair.expires_in, refresh_token=pair.refresh_token
        )
        return JSONResponse(body.model_dump(), headers=NO_STORE)

    return router


def client_address(request: Request) -> str:
    return str(request.client.host) if request.client and request.client.host else ""


def _error(code: str, description: str) -> JSONResponse:
    return JSONResponse({"error": code, "error_description": description}, status_code=400, headers=NO_STORE)

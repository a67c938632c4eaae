"""FastAPI guard for routes (design §6, issue 9 §1–2): ``require(*roles)``.

Wiring, per service (``create_app``)::

    app.state.auth = Authenticator.from_settings(env=settings.env)
    app.include_router(api.router, dependencies=[Depends(require(Role.AGENT, Role.SUPERVISOR))])

or per route, to get the caller: ``principal: Annotated[Principal, Depends(require(Role.ADMIN))]``.
One ``require`` per operation (a router whose routes need different roles is split, or guards each
route): the roles it admits are the operation's ``security`` in OpenAPI (``{"bearer": ["agent", ...]}``;
3.1 allows role names there), which the RBAC matrix test reads. A second guard on one request raises.

- no ``Authorization: Bearer`` header, or a token failing any check -> 401 + ``WWW-Authenticate: Bearer``;
- a valid token without any of the roles -> 403;
- the token cannot be checked (provider keys unavailable) or the app has no Authenticator -> 503: denied
  either way (fail closed), never passed through.
``/healthz``, ``/readyz`` and ``/metrics`` are routes of the app itself (careline.core.web), not of the
service's routers, so guarding the routers leaves them open. The Principal is also put on
``request.state.principal`` for the audit log (careline.core.audit); a 403 is itself recorded there
(``access.denied``) when the app has ``app.state.audit``.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

from fastapi import HTTPException, Request, Security
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import BaseModel

from careline.core.auth.errors import AuthError, AuthUnavailable
from careline.core.auth.principal import Principal
from careline.core.auth.roles import Role

log = logging.getLogger("careline.auth")

CHALLENGE = {"WWW-Authenticate": 'Bearer realm="careline"'}
# Declares the bearer scheme in OpenAPI (every guarded operation then lists ``security``); it never
# refuses by itself (auto_error=False): the guard below decides, with the answers documented here.
BEARER = HTTPBearer(auto_error=False, scheme_name="bearer", description="careline access token (JWT)")


class AuthProblem(BaseModel):
    detail: str


# For ``include_router(..., responses=AUTH_RESPONSES)``: the refusals every guarded operation can give.
AUTH_RESPONSES: dict[int | str, dict] = {
    401: {"model": AuthProblem, "description": "no token, or a token that is invalid or expired"},
    403: {"model": AuthProblem, "description": "the token's roles do not admit this operation"},
    503: {"model": AuthProblem, "description": "tokens cannot be checked right now (denied)"},
}


def require(*roles: Role) -> Callable[[Request], Awaitable[Principal]]:
    """A dependency admitting a caller holding any of ``roles`` (none given: any authenticated caller)."""
    wanted = tuple(Role(r) for r in roles)

    async def guard(
        request: Request,
        # A default, not Annotated: postponed annotations cannot see ``wanted``. The scopes are the role
        # names, which OpenAPI 3.1 allows on any scheme: the spec then says who may call each operation.
        _scheme: HTTPAuthorizationCredentials | None = Security(BEARER, scopes=[r.value for r in wanted]),
    ) -> Principal:
        if getattr(request.state, "principal", None) is not None:
            # OpenAPI would show the union of both guards' roles while both must pass: one rule only.
            raise RuntimeError(f"more than one require() guards {request.url.path}")
        principal = await authenticate_request(request)
        if not principal.has_any(*wanted):
            log.info("forbidden: %s lacks %s for %s", principal.actor, wanted, request.url.path)
            await _record_denial(request, principal, wanted)
            raise HTTPException(status_code=403, detail="forbidden: role not allowed")
        request.state.principal = principal
        return principal

    guard.__name__ = "require_" + "_".join(r.value for r in wanted) if wanted else "require_authenticated"
    return guard


def current_principal(request: Request) -> Principal:
    """The caller a router-level ``require`` verified, for routes that need it::

        async def route(principal: Annotated[Principal, Depends(current_principal)]) -> ...

    Fails closed: on a route no ``require`` guards it raises (a wiring error, never an anonymous actor).
    """
    principal = getattr(request.state, "principal", None)
    if not isinstance(principal, Principal):
        raise RuntimeError(f"{request.url.path} reads the caller but no require() guards it")
    return principal


async def authenticate_request(request: Request) -> Principal:
    authenticator = getattr(request.app.state, "auth", None)
    if authenticator is None:
        log.error("no Authenticator on app.state.auth: refusing %s", request.url.path)
        raise HTTPException(status_code=503, detail="authentication unavailable")
    token = bearer_token(request.headers.get("authorization"))
    if token is None:
        raise HTTPException(status_code=401, detail="not authenticated", headers=CHALLENGE)
    try:
        return await authenticator.authenticate(token)
    except AuthUnavailable as exc:
        raise HTTPException(status_code=503, detail="authentication unavailable") from exc
    except AuthError as exc:
        log.info("token refused for %s: %s", request.url.path, exc.reason)
        headers = {"WWW-Authenticate": 'Bearer realm="careline", error="invalid_token"'}
        raise HTTPException(status_code=401, detail="invalid token", headers=headers) from exc


async def _record_denial(request: Request, principal: Principal, wanted: tuple[Role, ...]) -> None:
    """A refused attempt by a known caller goes to the audit log when the app has one (issue 9 §3)."""
    audit = getattr(request.app.state, "audit", None)
    if audit is None:
        return
    from careline.core.audit.writer import AuditEntry, Outcome, client_address

    entry = AuditEntry.by(
        principal,
        "access.denied",
        f"{request.method} {request.url.path}"[:200],
        outcome=Outcome.DENIED,
        source=client_address(request),
        detail={"needs": [r.value for r in wanted]},
    )
    try:
        await audit.record(entry)
    except Exception:  # the request is refused either way; a failing audit write must not hide that
        log.exception("could not record a denial for %s", principal.actor)


def bearer_token(header: str | None) -> str | None:
    if not header:
        return None
    scheme, _, token = header.partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token:
        return None
    return token

"""The HTTP shell every service shares (design §1, §6): health, readiness, metrics and error shape.

``service_app`` builds the FastAPI object; the service's own ``create_app(settings)`` adds its lifespan
(which opens ESL, NATS and DB clients) and its routers. Readiness is a list of named checks registered
by the lifespan: ``/readyz`` answers 503 naming every check that fails (ESL or NATS down, say), so
Kubernetes stops sending traffic without killing the pod.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response

from careline.core.metrics import ServiceMetrics
from careline.core.settings import ServiceSettings

log = logging.getLogger("careline.web")

ReadinessCheck = Callable[[], bool]


class DomainError(Exception):
    """A request the domain refuses, with a reason a user can act on; mapped to HTTP 4xx."""

    status_code = 400

    def __init__(self, reason: str, *, status_code: int | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        if status_code is not None:
            self.status_code = status_code


class NotFound(DomainError):
    status_code = 404


class Conflict(DomainError):
    status_code = 409


def service_app(
    settings: ServiceSettings,
    lifespan: Callable[[FastAPI], AbstractAsyncContextManager[None]],
    *,
    title: str,
    version: str = "0.1.0",
) -> FastAPI:
    app = FastAPI(title=title, version=version, lifespan=lifespan)
    app.state.settings = settings
    app.state.metrics = ServiceMetrics(settings.service)
    app.state.readiness = {}
    _add_probe_routes(app)
    _add_error_handlers(app)
    return app


def add_readiness_check(app: FastAPI, name: str, check: ReadinessCheck) -> None:
    app.state.readiness[name] = check


def _add_probe_routes(app: FastAPI) -> None:
    @app.get("/healthz", include_in_schema=False)
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/readyz", include_in_schema=False)
    async def readyz() -> JSONResponse:
        failing = [name for name, check in app.state.readiness.items() if not _safe(check)]
        if failing or not app.state.readiness:
            return JSONResponse({"ready": False, "failing": failing or ["starting"]}, status_code=503)
        return JSONResponse({"ready": True, "checks": sorted(app.state.readiness)})

    @app.get("/metrics", include_in_schema=False)
    async def metrics() -> Response:
        body, content_type = app.state.metrics.render()
        return Response(body, media_type=content_type)


def _safe(check: ReadinessCheck) -> bool:
    try:
        return bool(check())
    except Exception:  # a crashing check is a failing check, never a 500
        log.exception("readiness check failed")
        return False


def _add_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(DomainError)
    async def domain_error(_: Request, exc: DomainError) -> JSONResponse:
        return JSONResponse({"detail": exc.reason}, status_code=exc.status_code)

    @app.exception_handler(RequestValidationError)
    async def validation_error(_: Request, exc: RequestValidationError) -> JSONResponse:
        problems = [
            {"field": ".".join(str(p) for p in err["loc"] if p != "body"), "reason": err["msg"]}
            for err in exc.errors()
        ]
        return JSONResponse({"detail": "invalid request", "problems": problems}, status_code=422)

"""careline.cdr application (design §1): one CDR per leg from ESL, search and export over HTTP."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from careline.cdr import handlers
from careline.cdr.api import router
from careline.cdr.recorder import CdrRecorder
from careline.cdr.settings import CdrSettings
from careline.core.runtime import open_runtime
from careline.core.web import service_app


def create_app(settings: CdrSettings | None = None) -> FastAPI:
    settings = settings or CdrSettings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async with open_runtime(app, settings, db=True, bus=True, esl=True) as rt:
            recorder = CdrRecorder(rt.sessions, handlers.BusCdrPublisher(rt.bus))
            app.state.cdr_recorder = recorder
            await handlers.start(rt.esl, rt.bus, recorder)
            yield

    app = service_app(settings, lifespan, title="careline CDR")
    app.include_router(router)
    return app

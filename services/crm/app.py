"""careline.crm application (design §1): patients over HTTP, caller-ID look-up over NATS and HTTP."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from careline.core.runtime import open_runtime
from careline.core.web import service_app
from careline.crm import (
    api,
    api_appointments,
    api_complaints,
    api_directory,
    api_history,
    api_info,
    handlers,
    registration_handlers,
)
from careline.crm.settings import CrmSettings


def create_app(settings: CrmSettings | None = None) -> FastAPI:
    settings = settings or CrmSettings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        # The CRM never touches a call, so it has no ESL link (design §3).
        async with open_runtime(app, settings, db=True, bus=True, esl=False) as rt:
            await handlers.start(rt.bus, rt.sessions, settings)
            await registration_handlers.start(rt.bus, rt.sessions, settings.timezone)
            yield

    app = service_app(settings, lifespan, title="careline CRM")
    for module in (api, api_directory, api_appointments, api_info, api_complaints, api_history):
        app.include_router(module.router)
    return app

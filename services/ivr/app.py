"""The IVR service (design §1, §3): FreeSWITCH dials ``socket <host>:<port> async full``; each call runs
:class:`careline.ivr.flow.IvrFlow` on the flow published for the dialled number. ``/readyz`` is false
while the socket is not listening or NATS is down. Shutdown stops accepting calls, then lets the calls
in progress finish (up to ``drain_timeout_s``).
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from careline.core.esl import OutboundServer
from careline.core.runtime import open_runtime
from careline.core.web import add_readiness_check, service_app
from careline.ivr import api, flows_api, prompts_api
from careline.ivr.defaults_loader import StaticPlans, hospital_bundle
from careline.ivr.engine import CallPlan
from careline.ivr.flow import IvrFlow, SessionConfig
from careline.ivr.handlers import (
    AcdQueue,
    CrmDirectory,
    CrmLanguages,
    KvOwnership,
    NatsServices,
    PlaybackFailures,
)
from careline.ivr.prompts import PromptStore
from careline.ivr.settings import IvrSettings
from careline.ivr.store import FlowStore

log = logging.getLogger("careline.ivr")


def session_config(settings: IvrSettings) -> SessionConfig:
    return SessionConfig(
        recordings_dir=settings.recordings_dir,
        sounds_dir=settings.sounds_dir,
        tts_engine=settings.tts_engine,
        voices=dict(settings.tts_voices),
    )


class StoredPlans:
    """The published flow for the dialled number; the bundled hospital flow if the store cannot answer,
    so a broken database still greets callers and reaches a human (R-IVR5)."""

    def __init__(self, store: FlowStore, fallback: StaticPlans) -> None:
        self.store, self.fallback = store, fallback

    async def plan_for(self, dialled: str) -> CallPlan:
        try:
            return await self.store.plan_for(dialled)
        except Exception:
            log.exception("no stored plan for %r; running the bundled flow", dialled)
            return await self.fallback.plan_for(dialled)


def create_app(settings: IvrSettings | None = None) -> FastAPI:
    settings = settings or IvrSettings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async with open_runtime(app, settings, db=True, bus=True, esl=False) as rt:
            bundle = hospital_bundle(settings)
            store = FlowStore(rt.sessions, settings.features)
            if await store.seed(bundle):
                log.info("first start: loaded and published the bundled flow %s", bundle.name)
            app.state.flows = store
            prompts_dir = settings.prompts_dir or settings.data_dir / "prompts"
            app.state.prompts = PromptStore(store, prompts_dir, settings.prompt_max_bytes)
            metrics = app.state.metrics
            counters = {
                "calls": metrics.counter("calls_total", "IVR calls by outcome", ("outcome",)),
                "menu_choices": metrics.counter("menu_choices_total", "menu input", ("choice",)),
                "handovers": metrics.counter("handovers_total", "hand-overs to the ACD", ("result",)),
                "playback_failures": metrics.counter(
                    "playback_failures_total", "prompts the switch did not play", ("kind",)
                ),
                "language_switches": metrics.counter(
                    "language_switches_total", "callers who switched language", ("language",)
                ),
            }
            flow = IvrFlow(
                session_config(settings),
                StoredPlans(store, StaticPlans(bundle, settings.features)),
                CrmDirectory(rt.bus, settings.crm_timeout_s),
                AcdQueue(rt.bus, settings.acd_timeout_s),
                KvOwnership(rt.bus),
                NatsServices(rt.bus),
                count=lambda metric, label: counters[metric].labels(label).inc(),
                languages=CrmLanguages(rt.bus, settings.crm_timeout_s),
                failures=PlaybackFailures(rt.bus),
            )
            server = OutboundServer(
                settings.socket_host, settings.socket_port, flow.handle, linger=settings.socket_linger_s
            )
            listening = False
            app.state.draining = False
            add_readiness_check(app, "socket", lambda: listening)
            add_readiness_check(app, "not_draining", lambda: not app.state.draining)
            app.state.socket_port = await server.start()
            listening = True
            app.state.flow, app.state.socket_server = flow, server
            try:
                yield
            finally:
                listening = False
                log.info("stopping: draining %d calls", server.active_calls)
                await server.stop(settings.drain_timeout_s)

    app = service_app(settings, lifespan, title="careline IVR")
    app.include_router(api.router)
    app.include_router(flows_api.router)
    app.include_router(prompts_api.router)
    return app

"""Opens and closes a service's long-lived clients in its lifespan (design §1).

One place decides the order: storage first (migrations must run before anything consumes the bus),
then NATS, then FreeSWITCH. Each client registers a ``/readyz`` check, so a pod whose ESL or NATS
link is down is taken out of rotation rather than failing requests. Closing runs in reverse order;
the ESL hub thread must be stopped here or the interpreter crashes at exit (design §2).
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass
from typing import Any

from fastapi import FastAPI

from careline.core.settings import ServiceSettings
from careline.core.web import add_readiness_check

log = logging.getLogger("careline.runtime")


@dataclass
class Runtime:
    settings: ServiceSettings
    engine: Any = None
    sessions: Any = None
    bus: Any = None
    esl: Any = None


@asynccontextmanager
async def open_runtime(
    app: FastAPI,
    settings: ServiceSettings,
    *,
    db: bool = True,
    bus: bool = True,
    esl: bool = False,
) -> AsyncIterator[Runtime]:
    rt = Runtime(settings)
    async with AsyncExitStack() as stack:
        if db:
            await _open_db(rt, stack)
            add_readiness_check(app, "db", lambda: rt.engine is not None)
        if bus:
            await _open_bus(rt, stack)
            add_readiness_check(app, "nats", lambda: rt.bus.connected)
        if esl and settings.esl_enabled:
            await _open_esl(rt, stack)
            add_readiness_check(app, "esl", lambda: rt.esl.connected)
        app.state.runtime = rt
        log.info("service %s started", settings.service)
        yield rt
        log.info("service %s stopping", settings.service)


async def _open_db(rt: Runtime, stack: AsyncExitStack) -> None:
    from careline.core import db

    url = rt.settings.database_url
    await db.migrate(url, rt.settings.service)
    rt.engine = db.make_engine(url)
    rt.sessions = db.session_factory(rt.engine)
    stack.push_async_callback(rt.engine.dispose)


async def _open_bus(rt: Runtime, stack: AsyncExitStack) -> None:
    from careline.core.bus import Bus

    rt.bus = await Bus.connect(rt.settings.nats_url, name=f"careline-{rt.settings.service}")
    stack.push_async_callback(rt.bus.close)


async def _open_esl(rt: Runtime, stack: AsyncExitStack) -> None:
    from careline.core.esl import EslClient

    s = rt.settings
    rt.esl = EslClient(s.esl_host, s.esl_port, s.secret("esl_password"), name=f"careline-{s.service}")
    # wait=False: a service starts (and reports not-ready) while FreeSWITCH is away; the adapter keeps
    # reconnecting in the background.
    await rt.esl.start(wait=False)
    stack.push_async_callback(rt.esl.close)

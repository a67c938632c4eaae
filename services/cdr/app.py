"""careline.cdr application (design §1): one CDR per leg from ESL, search and export over HTTP.

Issue 15: hangups go from the ESL link straight to the JetStream stream CDR_INTAKE (intake.py) and from
there, in batches, to the database (writer.py) by a durable consumer that acks only committed legs; the
backlog is a metric and an alarm (backlog.py). See docs/adr/0002-cdr-durable-intake.md.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, suppress

from fastapi import FastAPI

from careline import subjects
from careline.cdr import handlers
from careline.cdr.api import router
from careline.cdr.backlog import BacklogWatch
from careline.cdr.intake import INTAKE_STREAM, INTAKE_STREAMS, Intake, decode
from careline.cdr.settings import CdrSettings
from careline.cdr.writer import CdrWriter
from careline.core.runtime import open_runtime
from careline.core.web import service_app

WRITER_DURABLE = "cdr-writer-{site}"


def create_app(settings: CdrSettings | None = None) -> FastAPI:
    settings = settings or CdrSettings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async with open_runtime(app, settings, db=True, bus=True, esl=True) as rt:
            intake = Intake(rt.bus, subjects.cdr_intake_leg(settings.intake_site))
            if rt.esl is not None and settings.esl_intake:
                handlers.subscribe(rt.esl, intake)  # before the first await (see handlers.subscribe)
            intake.start()
            app.state.cdr_intake = intake
            await rt.bus.ensure_streams(INTAKE_STREAMS + handlers.CDR_STREAMS)
            writer = CdrWriter(rt.engine, handlers.BusCdrPublisher(rt.bus))
            consumer = await rt.bus.consume_batch(
                INTAKE_STREAM,
                WRITER_DURABLE.format(site=settings.intake_site),
                intake.subject,
                writer.write,
                decode=lambda raw: decode(raw.data),
                batch=settings.write_batch,
                linger=settings.write_linger_s,
                ack_wait=settings.write_ack_wait_s,
            )
            watch = BacklogWatch(
                bus=rt.bus,
                consumer=consumer,
                intake=intake,
                writer=writer,
                metrics=app.state.metrics,
                alarm_lag_s=settings.backlog_alarm_lag_s,
                alarm_pending=settings.backlog_alarm_pending,
            )
            app.state.cdr_writer, app.state.cdr_consumer, app.state.cdr_backlog = writer, consumer, watch
            watching = asyncio.create_task(watch.run(settings.backlog_check_s), name="cdr-backlog")
            try:
                yield
            finally:
                # Stop taking events first, then hand JetStream what was taken; the writer may stop
                # mid-batch (unacked: redelivered to the next writer, stored once by the upsert).
                if rt.esl is not None:
                    await rt.esl.close()
                await intake.stop()
                watching.cancel()
                with suppress(asyncio.CancelledError):
                    await watching
                await consumer.stop()

    app = service_app(settings, lifespan, title="careline CDR")
    app.include_router(router)
    return app

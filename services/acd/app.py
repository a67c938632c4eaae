"""The ACD service (design §1, §3): HTTP API, enqueue over NATS, calls driven over ESL."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from careline import subjects
from careline.acd.api import router
from careline.acd.call_end import CallEnder
from careline.acd.call_log import CallLog, CallLogWriting, WorkloadSampler, start_writing
from careline.acd.cluster.replica import Replica, ReplicaHandlers
from careline.acd.consult_switch import EslConsultSwitch
from careline.acd.domain import config as stored
from careline.acd.domain.consult import Consultations
from careline.acd.domain.controls import CallControls
from careline.acd.domain.routing import Distributor
from careline.acd.dtmf import subscribe_dtmf
from careline.acd.handlers import AcdHandlers, BusNotifier, CallOwnership
from careline.acd.settings import AcdSettings
from careline.acd.supervision import Supervision
from careline.acd.switch import EslSwitch
from careline.core.runtime import open_runtime
from careline.core.web import service_app

log = logging.getLogger("careline.acd")
# routing latency: sub-millisecond when an agent is free, up to the wait in the queue when none is
LATENCY_BUCKETS = (0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5, 10, 30, 60, 300)


def create_app(settings: AcdSettings | None = None) -> FastAPI:
    settings = settings or AcdSettings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async with open_runtime(app, settings, db=True, bus=True, esl=True) as rt:
            events = app.state.metrics.counter("calls_total", "ACD call outcomes", ("outcome",))
            routing = app.state.metrics.histogram(
                "routing_latency_seconds", "caller enqueued → agent originate sent", buckets=LATENCY_BUCKETS
            )
            distributor = Distributor(
                EslSwitch(
                    rt.esl,
                    settings.agent_dial,
                    settings.goodbye_s,
                    transfer_context=settings.transfer_context,
                    outbound_dial=settings.outbound_dial,
                    hold_music=settings.hold_music,
                    outbound_caller_id_number=settings.outbound_caller_id_number,
                    outbound_caller_id_name=settings.outbound_caller_id_name,
                ),
                BusNotifier(rt.bus),
                on_event=lambda name: events.labels(name).inc(),
                on_originate=routing.observe,
                max_missed=settings.max_missed_offers,
                reject_delay_s=settings.reject_delay_s,
            )
            # statistics facts (R-STAT1), durable on JetStream as recorded (issue 15; the call_log package)
            call_log = CallLog(
                rt.sessions,
                max_queued=settings.call_log_max_queued,
                read_wait_s=settings.call_log_read_wait_s,
                linger=settings.call_log_publish_linger_s,
            )
            distributor.record = call_log.record
            sampler = WorkloadSampler(lambda: distributor.agents, distributor.clock, call_log)
            app.state.call_log, app.state.sampler = call_log, sampler
            handler_type = ReplicaHandlers if settings.replicas else AcdHandlers
            handlers = handler_type(distributor, rt.bus, None, rt.esl)
            handlers.subscribe_esl()  # before any await (see AcdHandlers.subscribe_esl)
            subscribe_dtmf(rt.esl, distributor)  # queued callback by DTMF (domain/callbacks.py)
            handlers.call_ender = CallEnder(
                distributor,
                distributor.switch,
                hold_extension=settings.hold_extension,
                prompt=settings.call_end_prompt,
            )
            await _load_config(distributor, rt.sessions)
            # Agents already on calls the ACD did not make (issue 8), once the switch is reachable.
            outside = asyncio.get_running_loop().create_task(handlers.sync_outside_once_connected())
            handlers.ownership = CallOwnership(await rt.bus.kv(_bucket(subjects.KV_CALL_OWNER)))
            app.state.replica = await _start_replica(settings, distributor, rt.bus, handlers)
            await handlers.serve_bus()
            app.state.distributor = distributor
            app.state.handlers = handlers
            app.state.controls = CallControls(distributor, distributor.switch, settings.hold_extension)
            app.state.consultations = Consultations(
                app.state.controls,
                EslConsultSwitch(distributor.switch),
                agent_dial=settings.agent_dial,
                outbound_dial=settings.outbound_dial,
                music=settings.hold_music,
            )
            app.state.supervision = Supervision(distributor, rt.bus, app.state.metrics)
            app.state.call_log_writing = await start_writing(
                call_log,
                bus=rt.bus,
                engine=rt.engine,
                settings=settings,
                metrics=app.state.metrics,
                supervision=app.state.supervision,
            )
            ticker = asyncio.get_running_loop().create_task(_tick(distributor, settings.tick_s))
            watch = asyncio.get_running_loop().create_task(app.state.supervision.run(settings.tick_s))
            sampling = asyncio.get_running_loop().create_task(
                sampler.run(settings.tick_s, settings.stats_sample_s)
            )
            try:
                yield
            finally:
                if app.state.replica is not None:
                    app.state.replica.stop()  # writes nothing: the others take over as after a crash
                ticker.cancel()
                outside.cancel()
                watch.cancel()
                sampling.cancel()
                await distributor.drain()
                await _final_flush(sampler, app.state.call_log_writing, settings.call_log_drain_s)

    app = service_app(settings, lifespan, title="careline ACD")
    app.include_router(router)
    return app


async def _final_flush(sampler: WorkloadSampler, writing: CallLogWriting, within: float) -> None:
    """The last workload sample, then what was recorded to JetStream and, for ``within`` s, to the
    database; what is not written by then waits on JetStream for the next ACD on this database."""
    try:
        sampler.sample()
        sampler.emit()
        await writing.stop(within)
    except Exception:  # shutting down: say so, do not fail the shutdown
        log.exception("last statistics flush failed")


async def _start_replica(settings: AcdSettings, distributor, bus, handlers) -> Replica | None:
    """Replicas share agents and callers through NATS KV (design §4, docs/adr/0001-acd-replicas.md)."""
    if not settings.replicas:
        return None
    replica = Replica(distributor, bus, instance=settings.instance_id, lease_s=settings.lease_s)
    handlers.replica = await replica.start()
    return replica


def _bucket(name: str):
    return next((b for b in subjects.BUCKETS if b.name == name), name)


async def _tick(distributor: Distributor, every_s: float) -> None:
    """Time-driven changes (wrap-ups ending, announcements, overflows, skills widening, sticky waits)."""
    while True:
        await asyncio.sleep(every_s)
        try:
            distributor.tick()
        except Exception:  # one bad tick must not stop the next
            log.exception("acd tick failed")


async def _load_config(distributor: Distributor, sessions) -> None:
    async with sessions() as session:
        for queue in await stored.load_queues(session=session):
            distributor.configure_queue(queue)
        for row in await stored.list_agents(session=session):
            distributor.put_agent(row.id, row.name, row.extension, **stored.profile_of(row))

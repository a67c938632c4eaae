"""careline.billing application (design §1): card accounts, the ledger, top-ups and rating over HTTP;
card authentication and tariffs over NATS for the IVR."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from careline.billing import conference_api, handlers, kiosk_api
from careline.billing.api import router
from careline.billing.authorisation import Consultations
from careline.billing.conference import ConferenceDesk
from careline.billing.domain import Billing
from careline.billing.kiosk import Kiosk
from careline.billing.metering import ConsultationDesk
from careline.billing.refunds import NoShowRefunds
from careline.billing.registration import Clock, Registrations, utc_now
from careline.billing.registration import api as registration_api
from careline.billing.registration import handlers as registration_handlers
from careline.billing.registration.seats import NatsSeats
from careline.billing.settings import BillingSettings
from careline.core.runtime import open_runtime
from careline.core.web import service_app


def create_app(settings: BillingSettings | None = None, *, clock: Clock = utc_now) -> FastAPI:
    """``clock``: the hospital clock formal registrations, their no-show refunds and the kiosk read
    (R-REG5, R-REG6); the wall clock in production, moved by tests to end a day."""
    settings = settings or BillingSettings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        # billing's own ESL link: the sched_hangup backstop and metering of paid minutes (design §3).
        async with open_runtime(app, settings, db=True, bus=True, esl=True) as rt:
            billing = Billing(rt.sessions, settings)
            app.state.billing = billing
            await handlers.start(rt.bus, billing)
            consultations = Consultations(rt.sessions, settings, billing.plan)
            app.state.consultations = ConsultationDesk(consultations, settings, esl=rt.esl, bus=rt.bus)
            # Expert conferences (R-EXP6): seats metered by presence, raised hands, promotion.
            app.state.conferences = ConferenceDesk(app.state.consultations)
            app.state.consultations.seat_cdr = app.state.conferences.on_seat_cdr
            # Rooms reconciled against the switch and rebuilt from the store before any CDR is taken:
            # a seat's CDR must not settle it against a room still missing what the outage hid.
            if rt.esl is not None:
                await app.state.conferences.start()
            else:
                await app.state.conferences.restore()
            await app.state.consultations.start()
            # Formal registrations (R-REG4-R-REG6): the saga, its no-show refunds (swept at start to catch
            # up after downtime, then periodically) and the kiosk.
            seats = NatsSeats(rt.bus, timeout=settings.crm_timeout_s)
            app.state.registrations = Registrations(billing, seats, clock=clock)
            app.state.refunds = NoShowRefunds(app.state.registrations)
            app.state.kiosk = Kiosk(app.state.registrations)
            await registration_handlers.start(rt.bus, app.state.registrations)
            try:
                async with app.state.refunds.running(settings.registration_sweep_s):
                    yield
            finally:
                await app.state.consultations.stop()
                await app.state.conferences.stop()

    app = service_app(settings, lifespan, title="careline billing")
    app.include_router(router)
    app.include_router(registration_api.router)
    app.include_router(kiosk_api.router)
    app.include_router(conference_api.router)
    return app

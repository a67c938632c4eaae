"""CRM integration fixtures: the CRM app over HTTP inside its lifespan, real NATS, the db fixture."""

from __future__ import annotations

import httpx
import pytest


@pytest.fixture
def crm_settings(db_url, nats_url):
    from careline.core.ids import uuid7
    from careline.crm.settings import CrmSettings

    # A durable of its own per test: the nats-server (and its CDRS stream) is shared by the session.
    return CrmSettings(
        env="test", db_url=db_url, nats_url=nats_url, esl_enabled=False, cdr_durable=f"crm-{uuid7()[-12:]}"
    )


@pytest.fixture
async def crm_app(crm_settings):
    from careline.crm.app import create_app

    app = create_app(crm_settings)
    async with app.router.lifespan_context(app):
        yield app


@pytest.fixture
async def crm_http(crm_app):
    transport = httpx.ASGITransport(app=crm_app)
    async with httpx.AsyncClient(transport=transport, base_url="http://crm") as client:
        yield client

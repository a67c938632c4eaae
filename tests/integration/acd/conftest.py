"""The ``desk`` fixture: the ACD app on the simulator with a queue ``care``, a hold extension and outside
numbers (8xxx) reaching simulated phones (R-ACD3, R-SUP1)."""

from __future__ import annotations

import asyncio
import secrets
from contextlib import asynccontextmanager

import httpx
import pytest

from careline.acd.app import create_app
from careline.acd.settings import AcdSettings
from careline.switchsim import TRACE_DIALPLAN, Switch, SwitchConfig

PARKS = [("answer", ""), *[("park", "")] * 200]  # the simulator's park returns after a broadcast
HOLD_EXT = "careline-acd-hold"


def desk_switch() -> Switch:
    config = SwitchConfig(esl_port=0, password=secrets.token_hex(8), time_scale=0.05)
    config.dialplan = [
        *TRACE_DIALPLAN,
        ("9190", PARKS),
        (HOLD_EXT, PARKS[1:]),  # where a transferred caller waits for the next agent
        ("careline-conf-(.+)", [("answer", ""), ("conference", "$1@default")]),  # three-way calls
        ("(8\\d{3})", [("bridge", "sofia/internal/$1")]),  # outside numbers reach simulated phones
        # An agent's extension dialled directly, as the dialplan's IVR-down fallback rings operators.
        ("direct-(\\d{4})", [("bridge", "user/$1")]),
    ]
    return Switch(config)


def desk_settings(sw: Switch, tmp_path, nats_url) -> AcdSettings:
    return AcdSettings(
        env="test",
        data_dir=tmp_path,
        nats_url=nats_url,
        esl_port=sw.esl_port,
        esl_password=sw.config.password,
        tick_s=0.05,
        hold_extension=HOLD_EXT,
        outbound_dial="sofia/internal/{number}",
    )


@asynccontextmanager
async def running_acd(settings: AcdSettings):
    """The ACD app, ready, with an HTTP client on it and the queue ``care`` (no wrap-up)."""
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app), base_url="http://t") as client:
            await _ready(client)
            assert (await client.put("/v1/queues/care", json={"wrap_up_s": 0})).status_code == 200
            yield client


@pytest.fixture
async def desk(tmp_path, nats_url, bus):
    sw = desk_switch()
    await sw.start()
    try:
        async with running_acd(desk_settings(sw, tmp_path, nats_url)) as client:
            yield sw, client, bus
    finally:
        await sw.stop()


async def _ready(client) -> None:
    end = asyncio.get_running_loop().time() + 10
    while (await client.get("/readyz")).status_code != 200:
        assert asyncio.get_running_loop().time() < end, "acd not ready"
        await asyncio.sleep(0.02)

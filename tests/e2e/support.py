"""Scaffolding the end-to-end tests share (design §3): a simulator to call into, the real apps running
in-process against it and nats-server, and polling for what the callers and the apps do next.

Nothing here asserts anything about careline: a test states its own expectations. ``wait_until`` only
fails (AssertionError) when what a test waits for never comes.
"""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import Awaitable, Callable
from contextlib import AsyncExitStack, asynccontextmanager

import httpx

from careline.switchsim import Switch, SwitchConfig


@asynccontextmanager
async def running(app):
    """The app's lifespan (NATS, ESL, background tasks) and an HTTP client talking to it in-process."""
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            yield client


def service_settings(tmp_path, service: str, nats_url: str, sw: Switch) -> dict:
    """Settings every service takes: its own data dir under ``tmp_path``, the test's NATS, ``sw``'s ESL."""
    return {
        "env": "test",
        "data_dir": tmp_path / service,
        "nats_url": nats_url,
        "esl_host": "127.0.0.1",
        "esl_port": sw.esl_port,
        "esl_password": sw.config.password,
        "log_json": False,
    }


async def start_switch(stack: AsyncExitStack, time_scale: float, **config) -> Switch:
    """A started simulator (ESL port picked by the OS, a random password), stopped when ``stack`` closes.
    ``config``: further SwitchConfig fields (dialplan, …)."""
    password = secrets.token_hex(8)
    sw = Switch(
        SwitchConfig(host="127.0.0.1", esl_port=0, password=password, time_scale=time_scale, **config)
    )
    await sw.start()
    stack.push_async_callback(sw.stop)
    return sw


async def ready(client: httpx.AsyncClient) -> bool:
    return (await client.get("/readyz")).status_code == 200


async def wait_until(predicate: Callable[[], Awaitable[bool]], within: float, what: str) -> None:
    """Poll ``predicate`` every 20 ms until it holds; AssertionError after ``within`` real seconds."""
    loop = asyncio.get_running_loop()
    end = loop.time() + within
    while not await predicate():
        if loop.time() > end:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.02)


async def wait_ready(clients: dict[str, httpx.AsyncClient]) -> None:
    """Every service answers /readyz (their ESL links come up in the background), 10 s each."""
    for name, client in clients.items():
        await wait_until(lambda c=client: ready(c), 10, f"{name} ready")


async def start_crm_and_cdr(stack: AsyncExitStack, tmp_path, nats_url: str, sw: Switch) -> dict:
    """The crm app with the demo hospital loaded and the cdr app, closed with ``stack``:
    {"crm": client, "cdr": client}. The CRM reads CDRs on a durable of its own, as the session's
    CDRS stream holds other tests' CDRs too."""
    from careline.cdr.app import create_app as cdr_app
    from careline.cdr.settings import CdrSettings
    from careline.crm.app import create_app as crm_app
    from careline.crm.demo_data import load_demo_hospital_at
    from careline.crm.settings import CrmSettings

    crm_settings = CrmSettings(
        **service_settings(tmp_path, "crm", nats_url, sw), cdr_durable=f"crm-{secrets.token_hex(4)}"
    )
    await load_demo_hospital_at(crm_settings.database_url, zone=crm_settings.timezone)
    clients = {"crm": await stack.enter_async_context(running(crm_app(crm_settings)))}
    cdr_settings = CdrSettings(**service_settings(tmp_path, "cdr", nats_url, sw))
    clients["cdr"] = await stack.enter_async_context(running(cdr_app(cdr_settings)))
    return clients


async def start_ivr(stack: AsyncExitStack, tmp_path, nats_url: str, sw: Switch, **options):
    """The ivr app, closed with ``stack``, with ``sw`` sending inbound calls to its outbound socket.
    ``options``: further IvrSettings (prompts, …). Returns (app, client)."""
    from careline.ivr.app import create_app as ivr_app
    from careline.ivr.settings import IvrSettings

    ivr = ivr_app(IvrSettings(**service_settings(tmp_path, "ivr", nats_url, sw), socket_port=0, **options))
    client = await stack.enter_async_context(running(ivr))
    sw.set_inbound_socket("127.0.0.1", ivr.state.socket_port)
    return ivr, client

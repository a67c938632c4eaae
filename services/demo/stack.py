"""The whole careline suite in one process, on embedded defaults (what ``make demo`` runs).

nats-server from the wheel, the FreeSWITCH simulator, and each service's real app served by uvicorn on a
port the OS picks, SQLite files in a temporary folder. Every part talks to the others over the same
wires as in production (NATS, ESL over TCP, the outbound socket, HTTP), so the demo exercises the real
code paths. The end-to-end tests build on it too.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
import socket
import tempfile
from contextlib import AsyncExitStack
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import uvicorn

from careline.core.natsserver import NatsServer
from careline.switchsim import Switch, SwitchConfig

log = logging.getLogger("careline.demo")

SERVICE_ORDER = ("crm", "cdr", "acd", "ivr")


def free_port() -> int:
    """A port the OS says is free now (uvicorn needs a number up front)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class RunningService:
    name: str
    app: object
    server: uvicorn.Server
    task: asyncio.Task
    base_url: str


@dataclass
class Stack:
    """Handles on every running part; use :func:`open_stack`."""

    nats: NatsServer
    switch: Switch
    data_dir: Path
    services: dict[str, RunningService] = field(default_factory=dict)

    def client(self, service: str) -> httpx.AsyncClient:
        return httpx.AsyncClient(base_url=self.services[service].base_url, timeout=10.0)


def _settings(service: str, stack_dir: Path, nats_url: str, switch: Switch, extra: dict):
    import importlib

    module = importlib.import_module(f"careline.{service}.settings")
    cls = getattr(module, f"{service.capitalize()}Settings", None) or getattr(
        module, f"{service.upper()}Settings"
    )
    return cls(
        env="dev",
        data_dir=stack_dir / service,
        nats_url=nats_url,
        esl_host="127.0.0.1",
        esl_port=switch.esl_port,
        esl_password=switch.config.password,
        http_host="127.0.0.1",
        http_port=free_port(),
        **extra.get(service, {}),
    )


async def _serve(service: str, settings) -> RunningService:
    import importlib

    app = importlib.import_module(f"careline.{service}.app").create_app(settings)
    config = uvicorn.Config(
        app, host=settings.http_host, port=settings.http_port, log_config=None, lifespan="on"
    )
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve(), name=f"uvicorn-{service}")
    base_url = f"http://{settings.http_host}:{settings.http_port}"
    await _wait_ready(service, base_url, task)
    return RunningService(service, app, server, task, base_url)


async def _wait_ready(service: str, base_url: str, task: asyncio.Task, timeout: float = 30.0) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    async with httpx.AsyncClient(base_url=base_url, timeout=2.0) as client:
        while asyncio.get_running_loop().time() < deadline:
            if task.done():
                raise RuntimeError(f"{service} stopped during start-up: {task.exception()!r}")
            try:
                if (await client.get("/readyz")).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            await asyncio.sleep(0.1)
    raise TimeoutError(f"{service} not ready after {timeout:.0f} s")


async def _stop(running: RunningService) -> None:
    running.server.should_exit = True
    try:
        await asyncio.wait_for(running.task, timeout=30)
    except (TimeoutError, asyncio.CancelledError):
        running.task.cancel()


class open_stack:  # noqa: N801 - used as `async with open_stack(...)`
    """Start nats-server, the simulator and the services; stop them all, in reverse, on exit."""

    def __init__(
        self,
        *,
        time_scale: float = 1.0,
        extra_settings: dict | None = None,
        services=SERVICE_ORDER,
        file_durations: dict[str, float] | None = None,
    ):
        self.time_scale = time_scale
        self.file_durations = file_durations or {}
        self.extra = extra_settings or {}
        self.services = services
        self._stack = AsyncExitStack()

    async def __aenter__(self) -> Stack:
        await self._stack.__aenter__()
        try:
            return await self._start()
        except BaseException:
            await self._stack.aclose()
            raise

    async def _start(self) -> Stack:
        tmp = Path(self._stack.enter_context(tempfile.TemporaryDirectory(prefix="careline-demo-")))
        nats = NatsServer(tmp / "nats").start()
        self._stack.callback(nats.stop)
        switch = Switch(
            SwitchConfig(
                host="127.0.0.1",
                esl_port=0,
                password=secrets.token_hex(8),
                time_scale=self.time_scale,
                file_durations=self.file_durations,
            )
        )
        await switch.start()
        self._stack.push_async_callback(switch.stop)
        stack = Stack(nats=nats, switch=switch, data_dir=tmp)
        # the IVR's outbound-socket port is chosen by the OS, never assumed free
        extra = {name: dict(self.extra.get(name, {})) for name in self.services}
        extra.setdefault("ivr", {}).setdefault("socket_port", 0)
        for name in self.services:
            running = await _serve(name, _settings(name, tmp, nats.url, switch, extra))
            stack.services[name] = running
            self._stack.push_async_callback(_stop, running)
        if "ivr" in stack.services:
            # the IVR's outbound-socket port was chosen by the OS at start-up
            switch.set_inbound_socket("127.0.0.1", stack.services["ivr"].app.state.socket_port)
        return stack

    async def __aexit__(self, *exc) -> None:
        await self._stack.__aexit__(*exc)

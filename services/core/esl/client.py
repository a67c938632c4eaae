"""EslClient: asyncio-facing inbound ESL to one FreeSWITCH node (design §2).

Two links per node: a *command* link (api/bgapi; subscribed to BACKGROUND_JOB only, because bgapi
results reach only links subscribed to it) and an *event* link (the subscriptions and filters; ``nixevent
API`` because every api from anyone fires an API event to ALL subscribers). An ``api`` behind a busy
event stream waited 120–200 ms in the evaluation, hence the split.

A supervisor task reconnects forever with jittered exponential backoff, replays every subscription and
filter, then runs the ``on_reconnect`` callbacks (callers resync with ``show channels as json``).
"""

from __future__ import annotations

import asyncio
import inspect
import logging
import random
import uuid
from collections.abc import Awaitable, Callable, Iterable, Mapping
from typing import Any

from .errors import EslError, EslNotConnected, EslTimeout
from .hub import AsyncioPoster, Hub
from .link import InboundLink
from .protocol import EslEvent

log = logging.getLogger("careline.esl.client")

EventHandler = Callable[[EslEvent], Any]
BACKOFF_FIRST, BACKOFF_MAX = 0.1, 5.0
BGAPI_JOB_TIMEOUT = 120.0


def backoff_delay(attempt: int) -> float:
    """Exponential from 100 ms, capped at 5 s, jittered ±50 % so a fleet does not reconnect in step."""
    base = min(BACKOFF_MAX, BACKOFF_FIRST * 2 ** max(0, attempt - 1))
    return base * random.uniform(0.5, 1.5)


def subscription_commands(names: Iterable[str], filters: Iterable[tuple[str, str]]) -> list[str]:
    """The event-link setup lines: ``event plain …`` (CUSTOM subclasses last), filters, ``nixevent API``."""
    plain, custom, has_all = [], [], False
    for name in dict.fromkeys(names):
        if name == "ALL":
            has_all = True
        elif name.startswith("CUSTOM"):
            custom += name.split()[1:]
        else:
            plain.append(name)
    if has_all:
        words = ["ALL"]
    else:
        words = plain + (["CUSTOM", *dict.fromkeys(custom)] if custom else [])
    commands = [f"event plain {' '.join(words)}"] if words else []
    commands += [f"filter {header} {value}" for header, value in dict.fromkeys(filters)]
    if has_all:
        commands.append("nixevent API")
    return commands


class EslClient:
    """One FreeSWITCH node: a command link and an event link, driven from asyncio."""

    def __init__(
        self,
        host: str,
        port: int,
        password: str,
        *,
        node: str = "fs1",
        connect_timeout: float = 5.0,
        command_timeout: float = 10.0,
        name: str = "careline",
    ):
        self.host, self.port, self._password = host, port, password
        self.node, self.name = node, name
        self.connect_timeout, self.command_timeout = connect_timeout, command_timeout
        self._subs: list[tuple[frozenset[str], EventHandler]] = []
        self._names: list[str] = []
        self._filters: list[tuple[str, str]] = []
        self._evt_names: set[str] = set()  # sent on the current event link
        self._evt_filters: set[tuple[str, str]] = set()
        self._reconnect_callbacks: list[Callable[[EslClient], Awaitable[None]]] = []
        self._jobs: dict[str, asyncio.Future] = {}
        self._tasks: set[asyncio.Task] = set()
        self._cmd: InboundLink | None = None
        self._evt: InboundLink | None = None
        self._hub: Hub | None = None
        self._poster: AsyncioPoster | None = None
        self._supervisor: asyncio.Task | None = None
        self._lost = asyncio.Event()
        self._closed = False
        self.connected = False
        self.generation = 0  # successful connects so far
        self._log = logging.LoggerAdapter(log, {"esl_node": node})

    # -- lifecycle ----------------------------------------------------------------------------------
    async def start(self, wait: bool = True) -> None:
        """Connect both links. With ``wait`` the first attempt's error is raised (retries go on)."""
        loop = asyncio.get_running_loop()
        self._hub = Hub.acquire()
        self._poster = AsyncioPoster(loop)
        first = loop.create_future()
        self._supervisor = loop.create_task(self._supervise(first), name=f"esl-{self.node}")
        if wait:
            await first
        else:
            first.add_done_callback(lambda f: f.exception())

    async def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        self.connected = False
        if self._supervisor:
            self._supervisor.cancel()
            await asyncio.gather(self._supervisor, return_exceptions=True)
        await self._stop_links()
        self._fail_jobs("client closed")
        for task in list(self._tasks):
            task.cancel()
        if self._hub:
            hub, self._hub = self._hub, None
            await asyncio.to_thread(Hub.release, hub)

    async def _supervise(self, first: asyncio.Future) -> None:
        attempt = 0
        while not self._closed:
            try:
                await self._open_links()
            except Exception as exc:
                attempt += 1
                self._log.warning("esl connect to %s:%s failed: %s", self.host, self.port, exc)
                await self._stop_links()
                if not first.done():
                    first.set_exception(exc if isinstance(exc, EslError) else EslNotConnected(str(exc)))
                await asyncio.sleep(backoff_delay(attempt))
                continue
            attempt = 0
            self.generation += 1
            self.connected = True
            self._log.info("esl connected to %s:%s (generation %d)", self.host, self.port, self.generation)
            if not first.done():
                first.set_result(None)
            if self.generation > 1:
                await self._run_reconnect_callbacks()
            await self._lost.wait()
            self._lost.clear()
            self.connected = False
            self._fail_jobs("link lost")
            await self._stop_links()
            attempt = 1
            await asyncio.sleep(backoff_delay(attempt))

    async def _open_links(self) -> None:
        self._lost.clear()
        poster = self._poster
        # gevent queues and events bind to the hub of the thread that creates them: build links there.
        args = (self.host, self.port, self._password, self.connect_timeout, self.command_timeout)
        cmd = await self._hub.call(poster, InboundLink, *args)
        evt = await self._hub.call(poster, InboundLink, *args)
        self._cmd, self._evt = cmd, evt
        self._evt_names, self._evt_filters = set(), set()  # nothing applied on the new event link yet
        for link in (cmd, evt):
            link.on_lost.append(lambda reason, link=link: poster.post(self._on_link_lost, link, reason))
        cmd.register_handle("BACKGROUND_JOB", lambda event: poster.post(self._on_job, event))
        evt.register_handle("*", lambda event: poster.post(self._dispatch, event))
        await self._hub.call(poster, _open_link, cmd, ["event plain BACKGROUND_JOB"])
        await self._hub.call(poster, _open_link, evt, self._unapplied_setup())
        # subscribe() calls made while the lines above were in flight are not sent by subscribe()
        # (not connected yet): send them here until nothing is missing. No await separates the last
        # empty check from ``connected = True`` in the supervisor, so nothing falls in between.
        while lines := self._unapplied_setup():
            await self._hub.call(poster, _send_lines, evt, lines)

    def _unapplied_setup(self) -> list[str]:
        """Setup lines for what the subscriptions want and the current event link has not been sent.

        ``_names``/``_filters`` are the single source of truth; ``_evt_names``/``_evt_filters`` record
        what was sent on this link (marked before sending, so nothing is ever sent twice on a link).
        """
        names = [n for n in self._names if n not in self._evt_names]
        filters = [f for f in self._filters if f not in self._evt_filters]
        self._evt_names.update(names)
        self._evt_filters.update(filters)
        return subscription_commands(names, filters)

    async def _stop_links(self) -> None:
        links = [link for link in (self._cmd, self._evt) if link is not None]
        self._cmd = self._evt = None
        if links and self._hub:
            futures = [self._hub.call(self._poster, link.stop, 1.0) for link in links]
            await asyncio.wait(futures, timeout=3.0)

    def _on_link_lost(self, link: InboundLink, reason: str) -> None:
        if link is self._cmd or link is self._evt:
            self._log.warning("esl link to %s lost: %s", self.node, reason)
            self.connected = False
            self._lost.set()

    async def _run_reconnect_callbacks(self) -> None:
        for callback in list(self._reconnect_callbacks):
            try:
                await callback(self)
            except Exception:
                self._log.exception("esl on_reconnect callback failed")

    def on_reconnect(self, callback: Callable[[EslClient], Awaitable[None]]) -> None:
        self._reconnect_callbacks.append(callback)

    # -- commands -----------------------------------------------------------------------------------
    async def _send(self, link: InboundLink | None, text: str, timeout: float | None) -> EslEvent:  # noqa: ASYNC109
        if link is None or not self.connected or self._hub is None:
            raise EslNotConnected(f"esl node {self.node} not connected")
        timeout = self.command_timeout if timeout is None else timeout
        future = self._hub.call(self._poster, link.send, text, timeout)
        try:  # the hub enforces the timeout; this guard only covers a dead hub thread
            return await asyncio.wait_for(future, timeout + 2.0)
        except TimeoutError as exc:
            if isinstance(exc, EslTimeout):
                self._on_link_lost(link, str(exc))  # the hub killed the link: say so now
                raise
            raise EslTimeout(f"hub did not answer {text[:40]!r}") from exc

    async def api(self, cmd: str, *, timeout: float | None = None) -> str:  # noqa: ASYNC109
        """``api cmd``: the api/response body as FreeSWITCH sent it (``-ERR …`` included)."""
        reply = await self._send(self._cmd, f"api {cmd}", timeout)
        return reply.body or ""

    async def bgapi(self, cmd: str, *, timeout: float | None = None) -> str:  # noqa: ASYNC109
        """``bgapi cmd`` with a client-chosen Job-UUID; returns the BACKGROUND_JOB body."""
        job_uuid = str(uuid.uuid4())
        future = asyncio.get_running_loop().create_future()
        self._jobs[job_uuid] = future  # registered before sending: the job may finish at once
        try:
            reply = await self._send(self._cmd, f"bgapi {cmd}\nJob-UUID: {job_uuid}", timeout)
            if reply.is_error:
                raise EslError(f"bgapi {cmd!r}: {reply.reply_text}")
            try:
                return await asyncio.wait_for(future, timeout or BGAPI_JOB_TIMEOUT)
            except TimeoutError as exc:
                raise EslTimeout(f"bgapi {cmd!r}: no BACKGROUND_JOB") from exc
        finally:
            self._jobs.pop(job_uuid, None)

    def _on_job(self, event: EslEvent) -> None:
        future = self._jobs.get(event.get("Job-UUID") or "")
        if future is not None and not future.done():
            future.set_result(event.body or "")

    def _fail_jobs(self, reason: str) -> None:
        for future in self._jobs.values():
            if not future.done():
                future.set_exception(EslNotConnected(reason))

    # -- events -------------------------------------------------------------------------------------
    def subscribe(
        self,
        events: Iterable[str],
        handler: EventHandler,
        *,
        filters: Mapping[str, Iterable[str]] | None = None,
    ) -> None:
        """Handle ``events``; sets FreeSWITCH-side ``event``/``filter`` lines, replayed on reconnect.

        Filters are FreeSWITCH's: per link, OR'ed across every subscription of this client.
        """
        keys = frozenset(" ".join(name.split()) for name in events)
        if not keys:
            raise ValueError("subscribe() needs at least one event name")
        new_filters = [(h, str(v)) for h, values in (filters or {}).items() for v in values]
        self._subs.append((keys, handler))
        self._names += [k for k in keys if k not in self._names]
        self._filters += [f for f in new_filters if f not in self._filters]
        # Connected: send what this link lacks now. Opening: _open_links sends it before connecting.
        # Down: the next connect replays everything.
        if self.connected and self._evt is not None:
            lines = self._unapplied_setup()
            if lines:
                self._spawn(self._send_setup(self._evt, lines))

    async def _send_setup(self, link: InboundLink, lines: list[str]) -> None:
        for line in lines:
            try:
                reply = await self._send(link, line, None)
                if reply.is_error:
                    self._log.error("esl %r refused: %s", line, reply.reply_text)
            except EslError as exc:  # replayed by the reconnect anyway
                self._log.warning("esl %r not sent: %s", line, exc)
                return

    def _dispatch(self, event: EslEvent) -> None:
        name = event.name
        for keys, handler in self._subs:
            if not (
                "ALL" in keys
                or name in keys
                or (name == "CUSTOM" and ("CUSTOM" in keys or f"CUSTOM {event.subclass}" in keys))
            ):
                continue
            try:
                result = handler(event)
            except Exception:
                self._log.exception("esl handler %r failed on %s", handler, name)
                continue
            if inspect.isawaitable(result):
                self._spawn(result)

    def _spawn(self, coro) -> None:
        task = asyncio.ensure_future(coro)
        self._tasks.add(task)
        task.add_done_callback(self._task_done)

    def _task_done(self, task: asyncio.Task) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            self._log.error("esl async handler failed", exc_info=task.exception())


def _open_link(link: InboundLink, setup: list[str]) -> None:
    """Hub side: connect, authenticate, send the setup lines (any -ERR fails the attempt)."""
    link.connect()
    _send_lines(link, setup)


def _send_lines(link: InboundLink, setup: list[str]) -> None:
    """Hub side: send setup lines in order; a refused line (except ``nixevent``) fails the attempt."""
    for line in setup:
        reply = link.send(line)
        if reply.is_error and not line.startswith("nixevent"):
            link.kill(f"{line!r} refused")
            raise EslError(f"{line!r} refused: {reply.reply_text}")

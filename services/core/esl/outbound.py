"""FreeSWITCH `socket host:port async full` (outbound mode) driven from asyncio (design §2).

The listening socket is a gevent StreamServer in the hub thread: accept is event-driven (greenswitch
polled it every 100 ms, defect 10). Per call the hub sends ``connect``, ``myevents <fmt>`` and
``linger N`` (never plain ``linger``: Linger-Time -1 holds the channel until ``exit``), then the asyncio
handler runs; ``exit`` follows when it returns. Executes are matched to their CHANNEL_EXECUTE_COMPLETE
by ``Application-UUID`` == the ``Event-UUID`` we sent (back-to-back executes run nested in FreeSWITCH).
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

import gevent
import gevent.event
import gevent.server

from .errors import EslCallHungUp, EslError, EslNotConnected, EslTimeout
from .hub import AsyncioPoster, Hub
from .link import OutboundLink
from .protocol import EslEvent, encode_command

log = logging.getLogger("careline.esl.outbound")


class OutboundCall:
    """One call FreeSWITCH handed to us; every method is a coroutine for the asyncio side."""

    def __init__(self, server: OutboundServer, link: OutboundLink):
        self._server = server
        self._link = link
        self.channel_data: EslEvent | None = None
        self.uuid = ""
        self.caller_id_number = ""
        self.destination_number = ""
        self.hung_up = False
        self.released = False
        self.disconnected = False
        self.call_gone = False  # the linger/disconnect notice arrived: no more events for this call
        self._waiters: list[tuple[str, Callable[[EslEvent], bool] | None, asyncio.Future]] = []
        self._log = logging.LoggerAdapter(log, {"call_uuid": None})

    def _set_channel_data(self, data: EslEvent) -> None:
        self.channel_data = data
        self.uuid = data.get("Unique-ID") or data.get("variable_uuid") or ""
        self.caller_id_number = data.get("Caller-Caller-ID-Number") or ""
        self.destination_number = data.get("Caller-Destination-Number") or ""
        self._log = logging.LoggerAdapter(log, {"call_uuid": self.uuid})

    # -- events (asyncio side, posted by the hub in wire order) ---------------------------------------
    # After CHANNEL_HANGUP an application's CHANNEL_EXECUTE_COMPLETE may never come (and the socket
    # lingers for seconds), so waits end there with EslCallHungUp instead of hanging: only waits for
    # what still follows a hang-up (CHANNEL_HANGUP_COMPLETE, any event) survive it, until the
    # linger/disconnect notice, after which nothing more comes for the call.
    _AFTER_HANGUP = frozenset({"CHANNEL_HANGUP_COMPLETE", "*"})

    def _on_event(self, event: EslEvent) -> None:
        for waiter in list(self._waiters):
            name, predicate, future = waiter
            if future.done():
                self._waiters.remove(waiter)
            elif (name == "*" or event.name == name) and (predicate is None or predicate(event)):
                self._waiters.remove(waiter)
                future.set_result(event)
        if event.content_type == "text/disconnect-notice":
            self.hung_up = self.call_gone = True
            self._end_waits(lambda name: True)
        elif event.name == "CHANNEL_HANGUP":
            self.hung_up = True
            self._end_waits(lambda name: name not in self._AFTER_HANGUP)

    def _end_waits(self, which: Callable[[str], bool]) -> None:
        for waiter in list(self._waiters):
            name, _, future = waiter
            if which(name):
                self._waiters.remove(waiter)
                if not future.done():
                    future.set_exception(EslCallHungUp(f"call {self.uuid} hung up while waiting for {name}"))

    def _on_lost(self, reason: str) -> None:
        self.disconnected = True
        for _, _, future in self._waiters:
            if not future.done():
                future.set_exception(EslNotConnected(f"outbound socket closed: {reason}"))
        self._waiters.clear()

    def _waiter(self, name: str, predicate=None) -> asyncio.Future:
        future = asyncio.get_running_loop().create_future()
        if self.disconnected:
            future.set_exception(EslNotConnected("outbound socket closed"))
        elif self.call_gone or (self.hung_up and name not in self._AFTER_HANGUP):
            future.set_exception(EslCallHungUp(f"call {self.uuid} already hung up ({name} will not come)"))
        else:
            self._waiters.append((name, predicate, future))
        return future

    async def wait_event(self, name: str, predicate=None, timeout: float | None = None) -> EslEvent:  # noqa: ASYNC109
        """The next event ``name`` (``"*"``: any) matching ``predicate``.

        Raises EslCallHungUp when the call hangs up first (at CHANNEL_HANGUP; for
        CHANNEL_HANGUP_COMPLETE and ``"*"`` at the linger/disconnect notice), EslNotConnected when the
        socket closes, EslTimeout after ``timeout`` seconds.
        """
        future = self._waiter(name, predicate)
        try:
            return await asyncio.wait_for(future, timeout)
        except TimeoutError as exc:
            raise EslTimeout(f"no {name} in {timeout}s") from exc

    async def wait_hangup(self, timeout: float | None = None) -> None:  # noqa: ASYNC109
        """Return once the call has hung up (CHANNEL_HANGUP, or the linger/disconnect notice)."""
        if self.hung_up:
            return
        try:
            await self.wait_event("CHANNEL_HANGUP", timeout=timeout)
        except EslCallHungUp:  # the notice came without a CHANNEL_HANGUP
            pass

    # -- commands -------------------------------------------------------------------------------------
    async def _send_raw(self, raw: bytes, timeout: float | None = None) -> EslEvent:  # noqa: ASYNC109
        if self.disconnected or self.released:
            raise EslNotConnected("outbound socket closed")
        server = self._server
        reply = await server._hub.call(server._poster, self._link.send_raw, raw, timeout)
        return reply

    async def execute(
        self,
        app: str,
        arg: str | None = None,
        *,
        wait: bool = True,
        timeout: float | None = None,  # noqa: ASYNC109
    ) -> EslEvent | None:
        """``sendmsg execute`` with an Event-UUID; ``wait`` returns the matching CHANNEL_EXECUTE_COMPLETE.

        With ``wait``, a hang-up ends the wait at once: EslCallHungUp is raised at CHANNEL_HANGUP (or
        at the linger/disconnect notice), also when the call had already hung up before the call to
        ``execute``, since the completion may never come. EslNotConnected if the socket closes,
        EslTimeout after ``timeout`` seconds, EslError if FreeSWITCH refuses the command.
        """
        event_uuid = str(uuid.uuid4())
        headers = {"call-command": "execute", "execute-app-name": app, "Event-UUID": event_uuid}
        done = self._waiter("CHANNEL_EXECUTE_COMPLETE", lambda e: e.get("Application-UUID") == event_uuid)
        try:
            reply = await self._send_raw(encode_command("sendmsg", headers, arg))
            if reply.is_error:
                raise EslError(f"execute {app}: {reply.reply_text}")
            if not wait:
                return None
            self._log.debug("esl execute %s %s", app, arg or "")
            try:
                return await asyncio.wait_for(done, timeout)
            except TimeoutError as exc:
                raise EslTimeout(f"execute {app}: no CHANNEL_EXECUTE_COMPLETE in {timeout}s") from exc
        finally:
            if not done.done():
                done.cancel()
            elif not done.cancelled():
                done.exception()  # ended by a hang-up nobody awaited (wait=False): not an error to log

    async def play_and_get_digits(
        self,
        *,
        min_digits: int = 1,
        max_digits: int = 1,
        tries: int = 3,
        timeout_ms: int = 5000,
        terminators: str | None = "#",
        prompt: str,
        invalid_prompt: str | None = None,
        var_name: str | None = None,
        regex: str | None = None,
        digit_timeout_ms: int | None = None,
    ) -> str | None:
        """Collect digits; absent arguments get explicit defaults, never the text "None".

        None when nothing valid was entered; EslCallHungUp when the caller hangs up (see ``execute``)."""
        var_name = var_name or f"careline_pagd_{uuid.uuid4().hex[:8]}"
        args = [
            str(int(min_digits)),
            str(int(max_digits)),
            str(int(tries)),
            str(int(timeout_ms)),
            terminators or "none",
            prompt,
            invalid_prompt or "silence_stream://250",
            var_name,
            regex or "\\d+",
        ]
        if digit_timeout_ms is not None:
            args.append(str(int(digit_timeout_ms)))
        complete = await self.execute("play_and_get_digits", " ".join(args))
        digits = complete.get(f"variable_{var_name}") if complete else None
        return digits or None

    async def api(self, cmd: str) -> str:
        reply = await self._send_raw(encode_command(f"api {cmd}"))
        return reply.body or ""

    async def hangup(self, cause: str = "NORMAL_CLEARING") -> None:
        reply = await self._send_raw(
            encode_command("sendmsg", {"call-command": "hangup", "hangup-cause": cause})
        )
        if reply.is_error:
            raise EslError(f"hangup: {reply.reply_text}")

    async def release(self) -> None:
        """``exit`` and close while the call goes on (hand-over to another service)."""
        if self.released:
            return
        await self._close()
        self.released = True

    async def _close(self) -> None:
        if not self.disconnected:
            server = self._server
            await server._hub.call(server._poster, self._link.stop, 2.0)


class OutboundServer:
    """Accepts FreeSWITCH ``socket`` connections and runs ``handler(OutboundCall)`` for each one."""

    def __init__(
        self,
        host: str,
        port: int,
        handler: Callable[[OutboundCall], Awaitable[Any]],
        *,
        event_format: str = "plain",
        linger: int = 10,
        command_timeout: float = 10.0,
    ):
        if event_format not in ("plain", "json"):
            raise ValueError("event_format must be 'plain' or 'json'")
        self.host, self.port, self.handler = host, port, handler
        self.event_format, self.linger, self.command_timeout = event_format, int(linger), command_timeout
        self._hub: Hub | None = None
        self._poster: AsyncioPoster | None = None
        self._server: gevent.server.StreamServer | None = None
        self._tasks: set[asyncio.Task] = set()
        self._accepting = False

    @property
    def active_calls(self) -> int:
        return len(self._tasks)

    async def start(self) -> int:
        self._hub = Hub.acquire()
        self._poster = AsyncioPoster(asyncio.get_running_loop())
        self._accepting = True
        self.port = await self._hub.call(self._poster, self._listen)
        log.info("esl outbound server listening on %s:%s", self.host, self.port)
        return self.port

    def _listen(self) -> int:
        self._server = gevent.server.StreamServer((self.host, self.port), self._serve_connection, backlog=256)
        self._server.start()
        return self._server.server_port

    def _serve_connection(self, sock, address) -> None:
        """Hub side, one greenlet per connection, alive until the session ends."""
        link = OutboundLink(address, sock, self.command_timeout)
        finished = gevent.event.Event()
        link.on_lost.append(lambda reason: finished.set())
        if not self._accepting:
            link.stop(1.0)
            return
        call = OutboundCall(self, link)
        poster = self._poster
        link.register_handle("*", lambda event: poster.post(call._on_event, event))
        link.on_lost.append(lambda reason: poster.post(call._on_lost, reason))
        try:
            data = link.connect(self.command_timeout)
            link.send(f"myevents {self.event_format}")
            link.send(f"linger {self.linger}")
        except EslError as exc:
            log.warning("esl outbound setup from %s failed: %s", address, exc)
            link.stop(1.0)
            return
        poster.post(self._start_call, call, data)
        finished.wait()

    def _start_call(self, call: OutboundCall, data: EslEvent) -> None:
        call._set_channel_data(data)
        task = asyncio.get_running_loop().create_task(self._run_call(call), name=f"esl-call-{call.uuid}")
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _run_call(self, call: OutboundCall) -> None:
        call._log.info("esl outbound call from %s to %s", call.caller_id_number, call.destination_number)
        try:
            await self.handler(call)
        except Exception:
            call._log.exception("esl outbound handler failed")
        finally:
            if not call.released:
                try:
                    await call._close()
                except Exception:
                    call._log.exception("esl outbound close failed")

    async def stop(self, drain_timeout: float = 10.0) -> None:
        """Stop accepting, give running calls ``drain_timeout`` seconds, then cancel and close."""
        self._accepting = False
        if self._hub is None:
            return
        if self._server is not None:
            await self._hub.call(self._poster, self._server.stop, 0)
        if self._tasks:
            _, pending = await asyncio.wait(set(self._tasks), timeout=drain_timeout)
            for task in pending:
                task.cancel()
            if pending:
                await asyncio.wait(pending, timeout=2.0)
        hub, self._hub = self._hub, None
        await asyncio.to_thread(Hub.release, hub)

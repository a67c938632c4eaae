"""Outbound ESL: the `socket` application dials the controlling server (design §2, §7, trace g)."""

from __future__ import annotations

import asyncio

from .. import wire
from ..apps.execute import execute
from ..model.events import core_headers
from .esl_link import Link, handle_sendmsg


class OutboundLink(Link):
    def __init__(self, core, reader, writer, ch):
        super().__init__(core, reader, writer)
        self.ch = ch
        self.linger: float | None = None  # None: no linger; -1: until exit
        self.exit_requested = asyncio.Event()
        self.injected: asyncio.Queue = asyncio.Queue()
        self.running = 0
        self.reader_task: asyncio.Task | None = None
        self.kick = asyncio.Event()
        self.connected = asyncio.Event()  # `connect` answered
        self.subscribed = asyncio.Event()  # `myevents`/`event` answered

    def inject(self, app: str, arg: str, app_uuid: str | None = None) -> None:
        self.injected.put_nowait((app, arg, app_uuid))
        self.kick.set()

    def release_for_transfer(self) -> None:
        self.ch.vars["_socket_release"] = "1"
        self.kick.set()

    async def serve(self) -> None:
        try:
            while not self.closed:
                cmd = await wire.read_command(self.reader)
                if cmd is None:
                    break
                word, _, rest = cmd.line.partition(" ")
                word = word.lower()
                if word == "connect":
                    headers = core_headers("CHANNEL_DATA") + self.ch.headers(True)
                    block = wire.plain_headers(headers)[:-1]
                    tail = (
                        "Content-Type: command/reply\nReply-Text: %2BOK%0A\n"
                        "Socket-Mode: async\nControl: full\n\n"
                    )
                    await self.send((block + tail).encode())
                    self.connected.set()
                elif word == "myevents":
                    words = rest.split()
                    fmt = "json" if "json" in words else "plain"
                    self.fmt = fmt
                    self.my_uuid = self.ch.uuid
                    self.core.listeners.add(self)
                    await self.send(wire.command_reply("+OK Events Enabled"))
                    self.subscribed.set()
                elif word == "linger":
                    n = rest.strip()
                    if n.isdigit():
                        self.linger = float(n)
                        await self.send(wire.command_reply(f"+OK will linger {n} seconds"))
                    else:
                        self.linger = -1
                        await self.send(wire.command_reply("+OK will linger"))
                elif word == "nolinger":
                    self.linger = None
                    await self.send(wire.command_reply("+OK will not linger"))
                elif word == "sendmsg":
                    target = self.core.get(rest.strip()) if rest.strip() else self.ch
                    if target is None:
                        await self.send(wire.command_reply(f"-ERR invalid session id [{rest.strip()}]"))
                        continue
                    await self.send(wire.command_reply("+OK"))
                    handle_sendmsg(target, cmd)
                elif word == "exit":
                    await self.flush_events()
                    await self.send(wire.command_reply("+OK bye"))
                    await self.final_notice()
                    self.exit_requested.set()
                    break
                elif word == "api":
                    await self.cmd_api(rest)
                elif word == "bgapi":
                    await self.cmd_bgapi(rest, cmd)
                elif word == "event":
                    await self.cmd_event(rest)
                    self.subscribed.set()
                elif word == "filter":
                    await self.cmd_filter(rest)
                elif word == "nixevent":
                    await self.cmd_nixevent(rest)
                elif word == "noevents":
                    await self.cmd_noevents()
                elif word == "divert_events":
                    await self.send(wire.command_reply("+OK"))
                elif word == "resume":
                    await self.send(wire.command_reply("+OK"))
                else:
                    await self.send(wire.command_reply("-ERR command not found"))
        except (ConnectionError, asyncio.IncompleteReadError):
            pass
        finally:
            self.exit_requested.set()
            await self.close()

    async def final_notice(self) -> None:
        extra = [("Controlled-Session-UUID", self.ch.uuid), ("Content-Disposition", "disconnect")]
        await self.send(wire.disconnect_notice(extra))

    async def channel_hung_up(self, ch) -> None:
        """Called after CHANNEL_HANGUP_COMPLETE: linger notice, or final notice and close."""
        if self.closed:
            return
        await self.flush_events()
        if self.linger is None:
            await self.final_notice()
            await self.close()
            return
        extra = [("Controlled-Session-UUID", ch.uuid), ("Content-Disposition", "linger"),
                 ("Channel-Name", ch.name), ("Linger-Time", str(int(self.linger)))]  # fmt: skip
        await self.send(wire.disconnect_notice(extra, body=""))
        if self.linger < 0:
            await self.exit_requested.wait()
        else:
            try:
                await asyncio.wait_for(self.exit_requested.wait(), (self.linger + 1) * self.core.time_scale)
            except TimeoutError:
                await self.final_notice()
                await self.close()


async def _wait_connected(link: OutboundLink, ch) -> None:
    """The session parks once the server has sent `connect`. FreeSWITCH dispatches events a few ms
    late, so a `myevents` sent straight after `connect` still sees CHANNEL_PARK (trace g): wait for the
    subscription, at most one 20 ms frame."""
    gone = asyncio.ensure_future(ch.hungup.wait())
    conn = asyncio.ensure_future(link.connected.wait())
    await asyncio.wait([conn, gone, link.reader_task], return_when=asyncio.FIRST_COMPLETED)
    sub = asyncio.ensure_future(link.subscribed.wait())
    if conn.done():
        await asyncio.wait([sub, gone, link.reader_task], timeout=0.02 * ch.core.time_scale,
                           return_when=asyncio.FIRST_COMPLETED)  # fmt: skip
    for f in (gone, conn, sub):
        f.cancel()


async def run_socket_app(ch, arg: str):
    core = ch.core
    target = arg.split()[0] if arg else ""
    host, _, port = target.rpartition(":")
    try:
        reader, writer = await asyncio.wait_for(asyncio.open_connection(host or "127.0.0.1", int(port)), 5)
    except (TimeoutError, OSError, ValueError):
        return None  # unreachable: the dialplan goes on with its fallback actions
    link = OutboundLink(core, reader, writer, ch)
    ch.socket_link = link
    ch.vars["socket_host"] = host
    link.reader_task = core.spawn(link.serve())
    ch.vars["_socket_parked"] = "1"
    await _wait_connected(link, ch)
    ch.fire("CHANNEL_PARK")
    nested: list[asyncio.Task] = []
    while ch.alive and ch.vars.get("_socket_release") is None:
        while not link.injected.empty():
            app, a, app_uuid = link.injected.get_nowait()
            # A second execute while one is running starts at once (nested), as observed on 1.11.2.
            nested.append(core.spawn(execute(ch, app, a, app_uuid)))
            await asyncio.sleep(0)
        nested = [t for t in nested if not t.done()]
        link.kick.clear()
        if link.injected.empty():
            waits = [asyncio.ensure_future(link.kick.wait()), asyncio.ensure_future(ch.hungup.wait())]
            await asyncio.wait(waits, return_when=asyncio.FIRST_COMPLETED)
            for w in waits:
                w.cancel()
    ch.vars.pop("_socket_parked", None)
    ch.vars.pop("_socket_release", None)
    for t in nested:
        if not t.done():
            await t
    ch.fire("CHANNEL_UNPARK")
    return None


async def app_socket(ch, arg: str):
    """The `socket` dialplan application (mod_event_socket): dial the controlling server."""
    return await run_socket_app(ch, arg)


APPS = {"socket": app_socket}

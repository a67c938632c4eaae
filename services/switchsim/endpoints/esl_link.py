"""An ESL connection, inbound or outbound: subscriptions, filters, the ordered event pump, api/bgapi and
sendmsg, shared by the inbound server and the outbound socket (design §2, §7)."""

from __future__ import annotations

import asyncio
import re
import uuid as uuidlib

from .. import wire
from ..apps import broadcast, run_api
from ..model.events import make_event
from ..wire import EVENT_NAMES

# CHANNEL_STATE is in the set (trace g: CS_HANGUP and CS_REPORTING reach an outbound `myevents`).
MYEVENTS = frozenset(
    """CHANNEL_STATE CHANNEL_ANSWER CHANNEL_APPLICATION CHANNEL_BRIDGE CHANNEL_CREATE CHANNEL_DATA
    CHANNEL_DESTROY CHANNEL_EXECUTE CHANNEL_EXECUTE_COMPLETE CHANNEL_HANGUP CHANNEL_HANGUP_COMPLETE
    CHANNEL_ORIGINATE
    CHANNEL_UUID CHANNEL_OUTGOING CHANNEL_PARK CHANNEL_PROGRESS CHANNEL_PROGRESS_MEDIA CHANNEL_UNBRIDGE
    CHANNEL_UNPARK DETECTED_SPEECH DTMF NOTALK TALK""".split()
)


class Link:
    """One ESL connection (inbound client or outbound session): subscriptions, filters, ordered writes."""

    def __init__(self, core, reader, writer):
        self.core, self.reader, self.writer = core, reader, writer
        self.fmt = "plain"
        self.events: set[str] = set()
        self.custom: set[str] = set()
        self.filters: list[tuple[str, str]] = []
        self.my_uuid: str | None = None  # myevents
        self.queue: asyncio.Queue = asyncio.Queue()
        self.api_busy = asyncio.Event()
        self.api_busy.set()  # set = idle
        self.closed = False
        self.pump = asyncio.ensure_future(self._pump())

    # ---------- delivery ----------
    def wants(self, ev) -> bool:
        name = ev.name
        if self.my_uuid is not None:
            if name not in MYEVENTS or ev.get("Unique-ID") != self.my_uuid:
                return False
        elif "ALL" not in self.events:
            if name not in self.events:
                return False
            if name == "CUSTOM" and self.custom and ev.subclass not in self.custom:
                return False
        return self.passes_filters(ev)

    def passes_filters(self, ev) -> bool:
        if not self.filters:
            return True
        positive = False
        for header, value in self.filters:
            have = ev.get(header)
            veto = value.startswith("-")
            want = value[1:] if veto else value
            hit = have is not None and _match(want, have)
            if veto and hit:
                return False
            if not veto and hit:
                positive = True
        return positive

    def offer(self, ev) -> None:
        if not self.closed and self.wants(ev):
            self.queue.put_nowait(ev)

    async def _pump(self) -> None:
        try:
            while True:
                ev = await self.queue.get()
                if ev is None:
                    return
                await self.api_busy.wait()  # a slow api holds back this link's events (design §2)
                self.writer.write(ev.frame(self.fmt))
                await self.writer.drain()
        except (ConnectionError, asyncio.CancelledError):
            pass

    async def send(self, data: bytes) -> None:
        if self.closed:
            return
        try:
            self.writer.write(data)
            await self.writer.drain()
        except ConnectionError:
            self.closed = True

    async def flush_events(self) -> None:
        """Let queued events go out before a final notice (the queue is drained to a sentinel)."""
        for _ in range(200):
            if self.queue.empty():
                break
            await asyncio.sleep(0.001)

    async def close(self) -> None:
        if self.closed:
            return
        self.closed = True
        self.core.listeners.discard(self)
        self.queue.put_nowait(None)
        try:
            await asyncio.wait_for(self.pump, 1.0)
        except (TimeoutError, Exception):
            self.pump.cancel()
        try:
            self.writer.close()
        except Exception:
            pass

    # ---------- commands shared by inbound and outbound ----------
    async def cmd_event(self, rest: str) -> None:
        words = rest.split()
        fmt = self.fmt
        if words and words[0].lower() in ("plain", "json", "xml"):
            fmt = words.pop(0).lower()
        elif words and words[0].upper() not in EVENT_NAMES:
            words.pop(0)  # unknown format word: taken as an (unknown) event name, format kept
        added = False
        custom_mode = False
        for w in words:
            up = w.upper()
            if up in EVENT_NAMES:
                self.events.add(up)
                added = True
                custom_mode = up == "CUSTOM"
            elif custom_mode or "::" in w:
                self.events.add("CUSTOM")
                self.custom.add(w)
                added = True
        if not added:
            await self.send(wire.command_reply("-ERR no keywords supplied"))
            return
        self.fmt = fmt if fmt != "xml" else "plain"
        self.core.listeners.add(self)
        await self.send(wire.command_reply(f"+OK event listener enabled {fmt}"))

    async def cmd_nixevent(self, rest: str) -> None:
        for w in rest.split():
            up = w.upper()
            if up == "ALL":
                self.events.clear()
                self.custom.clear()
            self.events.discard(up)
            self.custom.discard(w)
            if "ALL" in self.events and up != "ALL":
                self.events = (set(EVENT_NAMES) - {"ALL", up}) | (self.events - {"ALL"})
        await self.send(wire.command_reply("+OK events nixed"))

    async def cmd_noevents(self) -> None:
        self.events.clear()
        self.custom.clear()
        self.my_uuid = None
        await self.send(wire.command_reply("+OK no longer listening for events"))

    async def cmd_filter(self, rest: str) -> None:
        parts = rest.split(None, 1)
        if parts and parts[0].lower() == "delete":
            args = parts[1].split(None, 1) if len(parts) > 1 else []
            if not args or args[0].lower() == "all":
                self.filters.clear()
                await self.send(wire.command_reply("+OK filter deleted. [all][]"))
                return
            h = args[0]
            v = args[1] if len(args) > 1 else None
            self.filters = [
                (fh, fv)
                for fh, fv in self.filters
                if not (fh.lower() == h.lower() and (v is None or fv == v))
            ]
            await self.send(wire.command_reply(f"+OK filter deleted. [{h}][{v or ''}]"))
            return
        if len(parts) < 2:
            await self.send(wire.command_reply("-ERR invalid syntax"))
            return
        self.filters.append((parts[0], parts[1]))
        await self.send(wire.command_reply(f"+OK filter added. [{parts[0]}]=[{parts[1]}]"))

    async def cmd_api(self, rest: str) -> None:
        if not rest.strip():
            await self.send(wire.command_reply("-ERR command not found"))
            return
        self.api_busy.clear()
        try:
            body = await run_api(self.core, rest, link=self)
            await self.send(wire.api_response(body))
        finally:
            self.api_busy.set()
        fire_api_event(self.core, rest)

    async def cmd_bgapi(self, rest: str, cmd) -> None:
        job = cmd.header("Job-UUID") or str(uuidlib.uuid4())
        await self.send(wire.command_reply(f"+OK Job-UUID: {job}", [("Job-UUID", job)]))

        async def job_task():
            body = await run_api(self.core, rest, link=None)
            fire_api_event(self.core, rest)
            word, _, arg = rest.strip().partition(" ")
            extra = [("Job-UUID", job), ("Job-Command", word)] + ([("Job-Command-Arg", arg)] if arg else [])
            self.core.fire(make_event("BACKGROUND_JOB", extra, body))

        self.core.spawn(job_task())


def fire_api_event(core, line: str) -> None:
    word, _, arg = line.strip().partition(" ")
    core.fire(make_event("API", [("API-Command", word), ("API-Command-Argument", arg)]))


def _match(want: str, have: str) -> bool:
    if len(want) > 1 and want.startswith("/") and want.endswith("/"):
        try:
            return re.search(want[1:-1], have, re.IGNORECASE) is not None
        except re.error:
            return False
    return want.lower() == have.lower()


def handle_sendmsg(ch, cmd) -> None:
    """call-command execute|hangup|unicast|nomedia (execute args in header or text/plain body)."""
    what = (cmd.header("call-command") or "").lower()
    if what == "hangup":
        ch.hangup(cmd.header("hangup-cause") or "NORMAL_CLEARING")
        return
    if what != "execute":
        return
    app = cmd.header("execute-app-name") or ""
    arg = cmd.header("execute-app-arg")
    if arg is None and cmd.body:
        arg = cmd.body
    app_uuid = cmd.header("Event-UUID") or str(uuidlib.uuid4())
    loops = int(cmd.header("loops") or 1)
    link = ch.socket_link
    if link is not None and ch.vars.get("_socket_parked") == "1":
        for _ in range(max(1, loops)):
            link.inject(app, arg or "", app_uuid)
        return
    # A private event run inside whatever the channel is doing (a parked caller stays parked), followed
    # by PRIVATE_COMMAND carrying the sendmsg's headers (playback_failures capture).
    headers = [("Command", f"sendmsg {ch.uuid}")] + [
        (k, v) for k, v in cmd.headers if k.lower() != "event-uuid"
    ]
    broadcast.queue(ch, app, arg or "", loops, headers, app_uuid)

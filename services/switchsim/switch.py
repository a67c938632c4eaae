"""The top: Switch wires the layers (applications and endpoint drivers onto the core), serves ESL, and
keeps observations for tests and the demo; SwitchConfig and the traces' dialplan (design §7)."""

from __future__ import annotations

import asyncio

from .apps import APPLICATIONS, execute
from .endpoints import outbound_socket
from .endpoints.callers import CallerScript, CallRecord, run_script
from .endpoints.esl_server import InboundLink
from .endpoints.phones import Phone, PhoneBehaviour, PhoneDialer
from .model.config import SwitchConfig
from .model.core import Core
from .model.events import make_event

# The dialplan of ../shared/fs-traces/README.md (context default), for conformance tests.
TRACE_DIALPLAN: list[tuple[str, list[tuple[str, str]]]] = [
    ("9100", [("answer", ""), ("playback", "tone_stream://L=3;%(800,200,440)"), ("sleep", "30000"),
              ("hangup", "")]),
    ("9101", [("answer", ""), ("playback", "tone_stream://L=2;%(800,200,480)"),
              ("hangup", "NORMAL_CLEARING")]),
    ("9102", [("answer", ""), ("sleep", "500"),
              ("play_and_get_digits",
               "1 4 2 8000 # tone_stream://%(300,0,800) silence_stream://250 pagd_digits \\d+ 3000"),
              ("log", "INFO pagd_digits=[${pagd_digits}]"), ("playback", "tone_stream://%(500,0,600)"),
              ("hangup", "NORMAL_CLEARING")]),
    ("9103", [("answer", ""), ("park", "")]),
    ("9104", [("answer", ""), ("playback", "tone_stream://L=30;%(500,500,350,440)"), ("hangup", "")]),
    ("9110", [("socket", "127.0.0.1:8084 async full")]),
    ("(30\\d\\d)", [("answer", ""), ("conference", "$1@default")]),
]  # fmt: skip


__all__ = ["TRACE_DIALPLAN", "Switch", "SwitchConfig"]


class Switch:
    def __init__(self, config: SwitchConfig | None = None):
        self.config = config or SwitchConfig()
        self.core = Core(self.config)
        self.core.sim = self
        self.phones: dict[str, Phone] = {}
        self._wire_layers()
        self.calls: dict[str, CallRecord] = {}
        self._server: asyncio.AbstractServer | None = None
        self._links: set = set()
        self._heartbeat: asyncio.Task | None = None
        self._waiters: list[tuple[str, str, asyncio.Future]] = []

    def _wire_layers(self) -> None:
        """Register the applications and endpoint drivers on the core (the model imports neither)."""
        core = self.core
        core.executor = execute
        core.apps.update(APPLICATIONS)
        core.apps.update(outbound_socket.APPS)
        PhoneDialer(self.phones).register(core)

    # ---------- lifecycle ----------
    async def start(self) -> None:
        self._server = await asyncio.start_server(self._accept, self.config.host, self.config.esl_port)
        self._heartbeat = asyncio.ensure_future(self._beat())

    @property
    def esl_port(self) -> int:
        return self._server.sockets[0].getsockname()[1]

    @property
    def password(self) -> str:
        return self.config.password

    async def stop(self) -> None:
        if self._heartbeat:
            self._heartbeat.cancel()
        for ch in list(self.core.channels.values()):
            ch.hangup("SYSTEM_SHUTDOWN")
        await self.wait_idle(2.0)
        for t in list(self.core.tasks):
            t.cancel()
        for link in list(self._links) + list(self.core.listeners):
            await link.close()
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()

    async def __aenter__(self):
        await self.start()
        return self

    async def __aexit__(self, *exc):
        await self.stop()

    async def _accept(self, reader, writer) -> None:
        link = InboundLink(self.core, reader, writer)
        self._links.add(link)
        try:
            await link.serve()
        finally:
            self._links.discard(link)

    async def _beat(self) -> None:
        while True:
            await asyncio.sleep(self.config.heartbeat_seconds)
            n = str(len(self.core.channels))
            self.core.fire(make_event("HEARTBEAT", [
                ("Event-Info", "System Ready"), ("Up-Time", "0 years, 0 days"),
                ("FreeSWITCH-Version", "1.11.2-release~64bit"), ("Uptime-msec", "0"), ("Session-Count", n),
                ("Max-Sessions", "1000"), ("Session-Per-Sec", "30"), ("Session-Per-Sec-Last", "0"),
                ("Session-Per-Sec-Max", "0"), ("Session-Per-Sec-FiveMin", "0"),
                ("Session-Since-Startup", str(self.core.session_count)), ("Session-Peak-Max", n),
                ("Session-Peak-FiveMin", n), ("Idle-CPU", "99.000000")]))  # fmt: skip

    # ---------- configuration ----------
    def set_inbound_socket(self, host: str, port: int) -> None:
        """Inbound calls to numbers not in the dialplan → `socket host:port async full`.

        Fallback when the socket is unreachable: a sorry prompt, then hangup."""
        self.core.inbound_socket = (host, port)

    def add_phone(
        self, ext: str, behaviour: PhoneBehaviour | None = None, contact: str | None = None
    ) -> Phone:
        """A registered user; `contact` is the host:port it registered from (names its sofia legs)."""
        contact = contact or f"127.0.0.1:{5080 + len(self.phones)}"
        phone = Phone(ext, behaviour or PhoneBehaviour(), contact)
        self.phones[ext] = phone
        return phone

    def set_phone(self, ext: str, behaviour: PhoneBehaviour) -> None:
        self.phones[ext].behaviour = behaviour

    # ---------- calls ----------
    async def place_call(self, caller_number: str, destination: str, script: CallerScript | None = None,
                         name: str | None = None, uuid: str | None = None) -> str:  # fmt: skip
        ch = self.core.new_inbound(caller_number, destination, name=name, uuid=uuid)
        rec = self.calls.get(ch.uuid)
        if rec is None:
            rec = self.calls[ch.uuid] = CallRecord(ch.uuid, caller_number, destination)
        rec.persona = script.persona if script else "default"
        if script is not None:
            self.core.spawn(run_script(self, ch, script))
        return ch.uuid

    def send_dtmf(self, uuid: str, digits: str) -> None:
        ch = self.core.get(uuid)
        if ch is not None:
            ch.send_dtmf(digits, source="RTP")

    def hearing(self, uuid: str) -> str | None:
        """What the far end of leg `uuid` hears now (a prompt, a broadcast, hold music); None: silence."""
        ch = self.core.get(uuid)
        return ch.hearing if ch is not None else None

    def hangup(self, uuid: str, cause: str = "NORMAL_CLEARING") -> None:
        ch = self.core.get(uuid)
        if ch is not None:
            ch.hangup(cause)

    async def wait_idle(self, timeout: float = 10.0) -> bool:
        loop = asyncio.get_running_loop()
        end = loop.time() + timeout
        while self.core.channels:
            left = end - loop.time()
            if left <= 0:
                break
            waits = [asyncio.ensure_future(ch.destroyed.wait()) for ch in list(self.core.channels.values())]
            await asyncio.wait(waits, timeout=left, return_when=asyncio.FIRST_COMPLETED)
            for w in waits:
                w.cancel()
        return not self.core.channels

    async def wait_call_event(self, uuid: str, what: str, timeout: float = 60.0) -> bool:
        rec = self.calls.get(uuid)
        if rec and _seen(rec, what):
            return True
        fut = asyncio.get_running_loop().create_future()
        self._waiters.append((uuid, what, fut))
        try:
            await asyncio.wait_for(fut, timeout * self.config.time_scale)
            return True
        except TimeoutError:
            return False

    # ---------- observations ----------
    def observe(self, ev) -> None:
        uuid = ev.get("Unique-ID")
        rec = self.calls.get(uuid) if uuid else None
        if rec is None:
            return
        rec.events.append(ev.name)
        for w in list(self._waiters):
            if w[0] == uuid and _seen(rec, w[1]) and not w[2].done():
                w[2].set_result(True)
                self._waiters.remove(w)

    def on_answer(self, ch) -> None:
        rec = self.calls.get(ch.uuid)
        if rec is not None and rec.answered_at is None:
            rec.answered_at = ch.t_answered

    def on_bridge(self, a, b) -> None:
        for x, y in ((a, b), (b, a)):
            rec = self.calls.get(x.uuid)
            if rec is not None:
                rec.bridged_uuid = y.uuid
                rec.bridged_to = y.phone.ext if getattr(y, "phone", None) is not None else y.uuid
                rec.bridged_at = self.core.now()
            if getattr(y, "phone", None) is not None:
                phone = y.phone
                phone.current_calls.add(y.uuid)
                phone.max_concurrent = max(phone.max_concurrent, len(phone.current_calls))

    def on_hangup(self, ch) -> None:
        rec = self.calls.get(ch.uuid)
        if rec is not None:
            rec.ended_at = ch.t_hangup
            rec.hangup_cause = ch.hangup_cause
            rec.done.set()
        if getattr(ch, "phone", None) is not None:
            ch.phone.ended(ch)


def _seen(rec: CallRecord, what: str) -> bool:
    alias = {"answered": "CHANNEL_ANSWER", "bridged": "CHANNEL_BRIDGE", "unbridged": "CHANNEL_UNBRIDGE",
             "hangup": "CHANNEL_HANGUP"}  # fmt: skip
    name = alias.get(what, what)
    if what == "bridged" and rec.bridged_uuid:
        return True
    return name in rec.events

"""The switch engine: clock, channel registry, event fan-out, dialplan routing and the session loop
(design §7). Applications and endpoint drivers are registered on it from above (core.apps, core.executor,
core.dialers), so the model never imports them."""

from __future__ import annotations

import asyncio
import re
import time
import uuid as uuidlib

from . import variables
from .channel import Channel
from .events import make_event
from .scheduler import Scheduler


class Route:
    """Result of a dialplan lookup: the actions with $1… substituted."""

    def __init__(self, actions: list[tuple[str, str]]):
        self.actions = actions


class Core:
    def __init__(self, config):
        self.config = config
        self.time_scale = config.time_scale
        self.channels: dict[str, Channel] = {}
        self.listeners: set = set()
        self.tasks: set[asyncio.Task] = set()
        self.sim = None  # the Switch facade (phones, observations)
        self._t0_real = time.time()
        self._t0_mono = time.monotonic()
        self.apps: dict = {}  # application name -> async fn(channel, arg), filled by the switch
        self.executor = None  # async fn(channel, app, arg): runs one application (apps.execute)
        self.dialers: list = []  # (endpoint regex, async dial fn) registered by endpoint drivers
        self.conferences: dict = {}
        self.scheduler = Scheduler(self)  # sched_hangup tasks, by uuid group
        self.inbound_socket: tuple[str, int] | None = None
        self.session_count = 0

    # ---------- clock ----------
    def now(self) -> float:
        """Simulated wall clock, 1/time_scale as fast as real time (CDR durations stay in sim seconds)."""
        return self._t0_real + (time.monotonic() - self._t0_mono) / self.time_scale

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(max(0.0, seconds) * self.time_scale)

    def spawn(self, coro) -> asyncio.Task:
        task = asyncio.ensure_future(coro)
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)
        return task

    # ---------- events ----------
    def fire(self, ev) -> None:
        for link in list(self.listeners):
            link.offer(ev)
        if self.sim is not None:
            self.sim.observe(ev)

    def fire_custom(self, subclass: str, headers: list[tuple[str, str]]) -> None:
        self.fire(make_event("CUSTOM", headers, subclass=subclass))

    # ---------- channels ----------
    def add(self, ch: Channel) -> Channel:
        self.channels[ch.uuid] = ch
        self.session_count += 1
        return ch

    def remove(self, ch: Channel) -> None:
        self.channels.pop(ch.uuid, None)

    def get(self, uuid: str) -> Channel | None:
        return self.channels.get(uuid)

    def on_answer(self, ch: Channel) -> None:
        if ch.on_answer_hook is not None:
            hook, ch.on_answer_hook = ch.on_answer_hook, None
            hook()
        if self.sim is not None:
            self.sim.on_answer(ch)

    def on_hangup(self, ch: Channel) -> None:
        if self.sim is not None:
            self.sim.on_hangup(ch)

    # ---------- dialplan ----------
    def route(self, dest: str, context: str = "default", dialplan: str = "XML") -> Route | None:
        if dialplan == "inline":
            return Route(inline_actions(dest))
        if self.inbound_socket and context == "default" and not _is_builtin(dest, self.config.dialplan):
            host, port = self.inbound_socket
            sorry = "ivr/ivr-call_cannot_be_completed_as_dialed.wav"
            return Route([("socket", f"{host}:{port} async full"), ("answer", ""),
                          ("playback", sorry), ("hangup", "")])  # fmt: skip
        for pattern, actions in self.config.dialplan:
            m = re.fullmatch(pattern, dest)
            if m:
                out = []
                for app, arg in actions:
                    for i, g in enumerate(m.groups(), 1):
                        arg = arg.replace(f"${i}", g or "")
                    out.append((app, arg))
                return Route(out)
        return None

    async def run_session(self, ch: Channel, actions: list[tuple[str, str]]) -> None:
        """Run applications until hangup, then tear the channel down."""
        try:
            ch.apps = list(actions)
            while ch.alive:
                if not ch.apps:
                    if ch.transfer_to is None:
                        break
                if ch.transfer_to is not None:
                    dest, ctx, *dialplan = ch.transfer_to
                    ch.transfer_to = None
                    inline = bool(dialplan) and dialplan[0] == "inline"
                    if not inline:  # the inline dialplan puts the previous destination back
                        ch.dest = dest
                    route = self.reroute(ch, dest, ctx, dialplan[0] if dialplan else "XML")
                    if route is None:
                        ch.hangup("NO_ROUTE_DESTINATION")
                        break
                    ch.apps = list(route.actions)
                    continue
                app, arg = ch.apps.pop(0)
                await self.executor(ch, app, arg)
            if ch.alive:
                ch.hangup("NORMAL_CLEARING")
        except asyncio.CancelledError:
            ch.hangup("SYSTEM_SHUTDOWN")
            raise
        finally:
            if ch.uuid in self.channels:
                await ch.teardown()

    def reroute(self, ch: Channel, dest: str, ctx: str, dialplan: str) -> Route | None:
        """A transferred leg goes back through CS_ROUTING (transfer_inline* captures): an inbound leg's
        call state walks RINGING then ACTIVE again around PRESENCE_IN; an outbound leg reports CALL_UPDATE."""
        walk = ch.direction == "inbound" and ch.answer_state == "answered"
        if ch.vars.get("_bridged") != "1":
            ch.other = None  # switch_ivr_session_transfer drops the other leg's profile (bleg capture)
        ch.state = "CS_ROUTING"
        if walk:
            ch.set_callstate("RINGING")
        ch.set_state("CS_ROUTING")
        if ch.direction == "outbound":
            ch.fire("CALL_UPDATE", pre=[("Direction", "RECV")])
        route = self.route(dest, ctx, dialplan)
        ch.next_state = "CS_EXECUTE"
        if walk:
            ch.presence_in()
            ch.state = "CS_EXECUTE"
            ch.set_callstate("ACTIVE")
        ch.set_state("CS_EXECUTE")
        return route

    def interrupt_with(self, ch: Channel, app: str, arg: str) -> None:
        """Make a channel run `app` now (uuid_bridge, uuid_transfer): breaks its current application."""
        if ch.socket_link is not None and ch.vars.get("_socket_parked") == "1":
            ch.socket_link.inject(app, arg)
            return
        ch.apps.insert(0, (app, arg))
        ch.broken = True
        ch.wake.set()

    # ---------- inbound calls ----------
    def new_inbound(self, caller: str, dest: str, name: str | None = None, uuid: str | None = None,
                    cid_name: str | None = None) -> Channel:  # fmt: skip
        name = name or f"sofia/internal/{caller}@127.0.0.1:5070"
        ch = Channel(self, name, "inbound", caller, cid_name, dest, uuid=uuid)
        self.add(ch)
        contact = name.rpartition("@")[2] if "@" in name else "127.0.0.1:5070"
        ch.vars.update(variables.sofia_inbound(caller, dest, contact, self.now()))
        ch.fire("CHANNEL_STATE")  # CS_NEW, no caller profile yet
        if not self.config.sip_late_negotiation and ch.is_sofia:
            ch.vars.pop("endpoint_disposition", None)
            ch.profile = True  # the caller profile exists already; CHANNEL_STATE CS_NEW above had none
            ch.media_up()  # the INVITE's SDP is answered at once: CODEC, CODEC at CS_NEW (fs-traces-local)
        self.start_routing(ch, with_new=True)
        return ch

    def start_routing(self, ch: Channel, with_new: bool = False) -> asyncio.Task:
        ch.set_state("CS_INIT")
        ch.next_state = "CS_ROUTING"
        ch.fire("CHANNEL_CREATE")
        ch.state = "CS_ROUTING"
        ch.set_callstate("RINGING")
        ch.set_state("CS_ROUTING")
        route = self.route(ch.dest, ch.context)
        ch.next_state = "CS_EXECUTE"
        ch.presence_in()
        ch.set_state("CS_EXECUTE")
        if route is None:
            actions = [("hangup", "NO_ROUTE_DESTINATION")]
        else:
            actions = route.actions
        return self.spawn(self.run_session(ch, actions))


def inline_actions(dest: str) -> list[tuple[str, str]]:
    """The inline dialplan (mod_dptools inline_dialplan_hunt): `app:arg,app:arg`, each app up to its
    first `:`; `m:<d>:…` picks another separator (an argument with commas: `m:^:playback:a,b^hangup`)."""
    delim = ","
    if len(dest) > 3 and dest[0] == "m" and dest[1] == ":" and dest[3] == ":":
        delim, dest = dest[2], dest[4:]
    out = []
    for item in dest.split(delim):
        app, _, arg = item.strip().partition(":")
        if app:
            out.append((app, arg))
    return out


def _is_builtin(dest: str, dialplan) -> bool:
    return any(re.fullmatch(p, dest) for p, _ in dialplan or [])


def new_uuid() -> str:
    return str(uuidlib.uuid4())

"""uuid_broadcast and hold music: an application queued to a channel and run inside whatever it is doing
(switch_ivr_broadcast queues a private `execute` event; park, bridge and playback loops run it), so the
channel's own application goes on afterwards — a parked leg stays parked (issue 8; design §7).

The broadcast fires the usual CHANNEL_EXECUTE / PLAYBACK_START … PLAYBACK_STOP / EXECUTE_COMPLETE on the
channel; `uuid_break` (or unhold) stops it without breaking the channel's own application."""

from __future__ import annotations

import asyncio

from . import sounds
from .execute import execute
from .media import play_file


class Broadcast:
    def __init__(self, ch, app: str, arg: str, loops: int, headers=(), app_uuid: str | None = None):
        self.ch, self.app, self.arg, self.loops = ch, app, arg, loops
        self.headers = list(headers)  # the private event's own headers, repeated by PRIVATE_COMMAND
        self.app_uuid = app_uuid
        self.stop = asyncio.Event()
        self.task: asyncio.Task | None = None

    async def run(self) -> None:
        ch = self.ch
        played = 0
        try:
            while ch.alive and not self.stop.is_set() and (self.loops < 0 or played < self.loops):
                if self.app == "playback":
                    resp = await execute(ch, "playback", self.arg, self.app_uuid, run=self._play, nested=True)
                    if resp != "FILE PLAYED":
                        break  # a failed file is not retried even with loops=-1
                else:
                    await execute(ch, self.app, self.arg, self.app_uuid, nested=True)
                played += 1
            if ch.alive:  # the private event is done with (hold_music, broadcast_parked captures)
                ch.fire("PRIVATE_COMMAND", pre=self.headers, full=False)
        finally:
            if self in ch.broadcasts:
                ch.broadcasts.remove(self)

    async def _play(self, ch, arg: str) -> str:
        r = await play_file(ch, arg, stop=self.stop)
        return sounds.RESPONSE.get(r, "FILE PLAYED")


def start(ch, path: str, loops: int = 1) -> Broadcast:
    """Broadcast `path` (or `app::arg`) to `ch`; loops=-1 repeats until stopped (hold music)."""
    app, arg = "playback", path
    if "::" in path:
        app, _, arg = path.partition("::")
    headers = [
        ("call-command", "execute"),
        ("execute-app-name", app),
        ("execute-app-arg", arg),
        ("event-lock", "true"),
        ("lead-frames", "5"),
    ] + ([("loops", str(loops))] if loops != 1 else [])
    return queue(ch, app, arg, loops, headers)


def queue(ch, app: str, arg: str, loops: int = 1, headers=(), app_uuid: str | None = None) -> Broadcast:
    """A private `execute` event (switch_core_session_queue_private_event): run inside the channel's
    current application; PRIVATE_COMMAND fires once it is done."""
    b = Broadcast(ch, app, arg, loops, headers, app_uuid)
    ch.broadcasts.append(b)
    b.task = ch.core.spawn(b.run())
    return b


async def wait_stopped(ch, timeout: float = 5.0) -> None:
    """switch_ivr_unhold waits (up to 5 s) for the partner's broadcast to end before CHANNEL_UNHOLD."""
    tasks = [b.task for b in list(ch.broadcasts) if b.task is not None and not b.task.done()]
    if tasks:
        await asyncio.wait(tasks, timeout=timeout * ch.core.time_scale)


def stop_all(ch) -> bool:
    """switch_channel_stop_broadcast: ends every running broadcast; False if there was none."""
    running = list(ch.broadcasts)
    for b in running:
        b.stop.set()
    return bool(running)

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
    def __init__(self, ch, app: str, arg: str, loops: int):
        self.ch, self.app, self.arg, self.loops = ch, app, arg, loops
        self.stop = asyncio.Event()
        self.task: asyncio.Task | None = None

    async def run(self) -> None:
        ch = self.ch
        played = 0
        try:
            while ch.alive and not self.stop.is_set() and (self.loops < 0 or played < self.loops):
                if self.app == "playback":
                    resp = await execute(ch, "playback", self.arg, run=self._play, nested=True)
                    if resp != "FILE PLAYED":
                        break  # a failed file is not retried even with loops=-1
                else:
                    await execute(ch, self.app, self.arg, nested=True)
                played += 1
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
    b = Broadcast(ch, app, arg, loops)
    ch.broadcasts.append(b)
    b.task = ch.core.spawn(b.run())
    return b


def stop_all(ch) -> bool:
    """switch_channel_stop_broadcast: ends every running broadcast; False if there was none."""
    running = list(ch.broadcasts)
    for b in running:
        b.stop.set()
    return bool(running)

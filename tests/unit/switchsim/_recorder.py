"""Helpers for switchsim unit tests: a Switch that never opens a socket, and an event recorder (design §7)."""

from __future__ import annotations

from careline.switchsim import Switch, SwitchConfig

SCALE = 0.01  # 100x faster than real time


class Recorder:
    """Stands in for an ESL link on core.listeners: keeps every event offered to it."""

    def __init__(self):
        self.events = []

    def offer(self, ev) -> None:
        self.events.append(ev)

    async def close(self) -> None:  # Switch.stop closes every listener
        pass

    def named(self, name: str, uuid: str | None = None) -> list:
        return [e for e in self.events if e.name == name and (uuid is None or e.get("Unique-ID") == uuid)]


def offline_switch(dialplan=None) -> tuple[Switch, Recorder]:
    """A simulator used in-process only (no ESL server started: unit tests stay off the network)."""
    sw = Switch(SwitchConfig(esl_port=0, time_scale=SCALE, dialplan=list(dialplan or [])))
    rec = Recorder()
    sw.core.listeners.add(rec)
    return sw, rec

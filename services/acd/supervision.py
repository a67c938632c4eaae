"""The supervisor's live side, wired (R-SUP1, R-ACD6): every tick the watcher feeds agent and queue
changes to the SSE streams, and alarms raised or cleared go to the streams, to NATS
(``careline.acd.alarm``) and to the metrics ``careline_acd_alarms_total`` / ``careline_acd_alarm_active``.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field

from careline import subjects
from careline.acd.domain.alarms import AlarmBoard, AlarmState, evaluate
from careline.acd.domain.supervision import HelpDesk, LiveFeed, Watcher, agent_view
from careline.core.bus import new_meta
from careline.v1.acd_pb2 import Alarm

log = logging.getLogger("careline.acd.supervision")


@dataclass
class Supervision:
    acd: object
    bus: object
    metrics: object
    feed: LiveFeed = field(default_factory=LiveFeed)
    board: AlarmBoard = field(default_factory=AlarmBoard)

    def __post_init__(self) -> None:
        self.watcher = Watcher(self.feed)
        self.help = HelpDesk(self.feed)
        self.raised = self.metrics.counter("alarms_total", "ACD alarms raised", ("kind", "queue"))
        self.active = self.metrics.gauge("alarm_active", "ACD alarms active now", ("kind", "queue"))

    async def look(self) -> None:
        self.watcher.look(self.acd)
        for alarm in self.board.update(evaluate(self.acd, self.acd.clock())):
            await self._announce(alarm)

    def present(self) -> list[tuple[str, dict]]:
        """What a new stream starts from: every agent, queue and active alarm as they are now."""
        now = [("agent", agent_view(a)) for a in sorted(self.acd.agents.values(), key=lambda a: a.id)]
        now += [("queue", {"name": n, "waiting": len(q)}) for n, q in sorted(self.acd.queues.items())]
        return now + [("alarm", a.as_dict()) for a in self.board.active.values()]

    async def _announce(self, alarm: AlarmState) -> None:
        if alarm.active:
            self.raised.labels(alarm.kind, alarm.queue).inc()
        self.active.labels(alarm.kind, alarm.queue).set(
            sum(1 for a in self.board.active.values() if (a.kind, a.queue) == (alarm.kind, alarm.queue))
        )
        self.feed.publish("alarm", alarm.as_dict())
        message = Alarm(meta=new_meta("", producer="acd"), **alarm.as_dict())
        try:
            await self.bus.notify(subjects.ACD_ALARM, message)
        except Exception:  # the stream and metrics still show it
            log.exception("alarm not published on NATS")

    async def run(self, every_s: float) -> None:
        while True:
            try:
                await self.look()
            except Exception:  # one bad look must not stop the next
                log.exception("supervision look failed")
            await asyncio.sleep(every_s)

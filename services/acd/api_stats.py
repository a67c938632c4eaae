"""Statistics over HTTP (R-STAT1, R-ACD6): per queue and interval, per agent, over a time range.

``GET /v1/stats/queues?interval=15m&from=&to=&queue=&service_level_s=`` and
``GET /v1/stats/agents?from=&to=``.
Times are ISO 8601 (naive ones are UTC); ``to`` defaults to now and ``from`` to a day before ``to``.
A bad interval or range is a 422 with the reason.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, Query, Request
from pydantic import BaseModel

from careline.acd.domain.call_events import (
    agent_figures,
    aware,
    check_range,
    parse_interval,
    queue_intervals,
)

router = APIRouter(prefix="/stats", tags=["acd statistics"])


class QueueIntervalRead(BaseModel):
    queue: str
    start: dt.datetime
    end: dt.datetime
    offered: int
    answered: int
    abandoned: int
    overflowed: int
    average_speed_of_answer_s: float | None
    service_level: float | None  # answered within service_level_s over answered + abandoned
    service_level_s: float
    longest_wait_s: float


class AgentStatsRead(BaseModel):
    agent_id: str
    occupancy: float | None  # busy (ringing, on a call, wrapping up) over busy + available
    handled: int
    missed: int
    talk_s: float
    hold_s: float
    wrap_s: float
    busy_s: float
    idle_s: float


def _range(start: dt.datetime | None, end: dt.datetime | None) -> tuple[dt.datetime, dt.datetime]:
    end = aware(end) if end is not None else dt.datetime.now(dt.UTC)
    start = aware(start) if start is not None else end - dt.timedelta(days=1)
    return start, end


@router.get("/queues")
async def queue_stats(
    request: Request,
    interval: str = "15m",
    start: Annotated[dt.datetime | None, Query(alias="from")] = None,
    end: Annotated[dt.datetime | None, Query(alias="to")] = None,
    queue: str | None = None,
    service_level_s: Annotated[float, Query(ge=0)] = 20.0,
) -> list[QueueIntervalRead]:
    step = parse_interval(interval)
    start, end = _range(start, end)
    check_range(start, end, step)
    events = await request.app.state.call_log.between(start, end)
    if queue:
        events = [e for e in events if e.queue == queue]
    return [
        QueueIntervalRead(
            queue=b.queue,
            start=b.start,
            end=b.end,
            offered=b.offered,
            answered=b.answered,
            abandoned=b.abandoned,
            overflowed=b.overflowed,
            average_speed_of_answer_s=_round(b.average_speed_of_answer_s),
            service_level=_round(b.service_level),
            service_level_s=service_level_s,
            longest_wait_s=round(b.longest_wait_s, 3),
        )
        for b in queue_intervals(events, start, end, step, service_level_s)
    ]


@router.get("/agents")
async def agent_stats(
    request: Request,
    start: Annotated[dt.datetime | None, Query(alias="from")] = None,
    end: Annotated[dt.datetime | None, Query(alias="to")] = None,
) -> list[AgentStatsRead]:
    request.app.state.sampler.sample()  # count the time up to now (before "now" is taken as the end)
    request.app.state.sampler.emit()
    start, end = _range(start, end)
    check_range(start, end)
    events = await request.app.state.call_log.between(start, end)
    return [
        AgentStatsRead(
            agent_id=f.agent_id,
            occupancy=_round(f.occupancy),
            handled=f.handled,
            missed=f.missed,
            **{k: round(getattr(f, k), 3) for k in ("talk_s", "hold_s", "wrap_s", "busy_s", "idle_s")},
        )
        for f in agent_figures(events)
    ]


def _round(value: float | None) -> float | None:
    return round(value, 4) if value is not None else None

"""Statistics on the simulator as a supervisor reads them (R-STAT1, R-ACD6): a caller answered, one who
hangs up while waiting, per-queue intervals and per-agent figures over HTTP; bad parameters are a 422;
the acd_call_events migration matches the models."""

from __future__ import annotations

import asyncio
import datetime as dt

from careline.acd.models import Base
from careline.core.db import schema_diff

from .test_call_controls import _agent, _caller, _on_call, _until


async def test_migrations_match_the_models(desk):
    sw, client, _ = desk
    app = client._transport.app
    assert await schema_diff(app.state.runtime.settings.database_url, Base.metadata) == []


async def test_queue_and_agent_statistics_after_an_answered_and_an_abandoned_call(desk):
    sw, client, bus = desk
    begin = dt.datetime.now(dt.UTC) - dt.timedelta(seconds=1)
    await _agent(client, sw, "a1", "2001")
    answered = await _caller(sw, bus, "13900000011")
    await _on_call(client, "a1")
    await asyncio.sleep(0.3)
    waiting = await _caller(sw, bus, "13900000012")  # a1 is busy: this caller waits
    await asyncio.sleep(0.3)
    sw.hangup(waiting)  # gives up

    async def abandoned() -> bool:
        return (await client.get("/v1/stats")).json()["abandoned"] == 1

    await _until(abandoned, "the waiting caller abandoned")
    assert (await client.post("/v1/agents/a1/call/hangup")).status_code == 200
    await asyncio.wait_for(sw.calls[answered].done.wait(), 5)

    params = {"interval": "1h", "from": begin.isoformat(), "queue": "care", "service_level_s": 20}
    r = await client.get("/v1/stats/queues", params=params)
    assert r.status_code == 200, r.text
    (row,) = r.json()
    assert (row["queue"], row["offered"], row["answered"], row["abandoned"]) == ("care", 2, 1, 1)
    assert row["service_level"] == 0.5  # one answered at once, one abandoned
    assert row["average_speed_of_answer_s"] < 5 and row["longest_wait_s"] >= 0.3
    assert row["start"].startswith(begin.isoformat()[:19])

    agents = (await client.get("/v1/stats/agents", params={"from": begin.isoformat()})).json()
    (a1,) = agents
    assert a1["agent_id"] == "a1" and a1["handled"] == 1 and a1["missed"] == 0
    assert a1["talk_s"] >= 0.5 and a1["busy_s"] > 0 and 0 < a1["occupancy"] <= 1
    other = await client.get("/v1/stats/queues", params={**params, "queue": "nobody"})
    assert other.json() == []


async def test_bad_parameters_are_refused_with_a_reason(desk):
    _, client, _ = desk
    for params, reason in (
        ({"interval": "15x"}, "interval"),
        ({"interval": "0m"}, "interval"),
        ({"from": "2025-03-02T00:00:00Z", "to": "2025-03-01T00:00:00Z"}, "before"),
        ({"interval": "1s", "from": "2020-01-01T00:00:00Z", "to": "2025-01-01T00:00:00Z"}, "intervals"),
    ):
        r = await client.get("/v1/stats/queues", params=params)
        assert r.status_code == 422 and reason in r.json()["detail"], (params, r.text)
    r = await client.get("/v1/stats/queues", params={"from": "yesterday"})
    assert r.status_code == 422
    r = await client.get(
        "/v1/stats/agents", params={"from": "2025-03-02T00:00:00", "to": "2025-03-01T00:00:00"}
    )
    assert r.status_code == 422 and "before" in r.json()["detail"]

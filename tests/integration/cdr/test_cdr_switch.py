"""CDRs from a call through the FreeSWITCH simulator (R-CDR1, design §7): the CDR app's own ESL link
sees CHANNEL_HANGUP_COMPLETE for both legs of a caller bridged to an agent, writes one row per leg
tied by the call id, and a repeated event adds nothing."""

from __future__ import annotations

import asyncio

import httpx
import pytest

from careline.cdr.app import create_app
from careline.cdr.settings import CdrSettings
from careline.core.db import sqlite_url

CALLER = "13912345678"


async def until(predicate, within: float = 10.0):
    """Poll until predicate() is truthy; a generous bound, not a speed assertion."""
    loop = asyncio.get_running_loop()
    end = loop.time() + within
    while loop.time() < end:
        value = await predicate()
        if value:
            return value
        await asyncio.sleep(0.02)
    raise AssertionError("condition not met in time")


@pytest.fixture
def hangup_events(switch):
    """Every CHANNEL_HANGUP_COMPLETE the simulator fires, so a test can fire one again."""
    seen = []
    fire = switch.core.fire

    def recording_fire(ev):
        if ev.name == "CHANNEL_HANGUP_COMPLETE":
            seen.append(ev)
        fire(ev)

    switch.core.fire = recording_fire
    return seen


@pytest.fixture
async def cdr(switch, nats_url, tmp_path):
    settings = CdrSettings(
        env="test",
        db_url=sqlite_url(tmp_path / "cdr.db"),
        nats_url=nats_url,
        esl_host="127.0.0.1",
        esl_port=switch.esl_port,
        esl_password=switch.password,
    )
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://cdr") as client:
            await until(lambda: _ready(client))
            yield app, client


async def _ready(client: httpx.AsyncClient) -> bool:
    return (await client.get("/readyz")).status_code == 200


async def test_caller_and_agent_legs_leave_one_cdr_each(switch, cdr, hangup_events):
    app, http = cdr
    esl = app.state.runtime.esl
    switch.add_phone("1001")
    caller = await switch.place_call(CALLER, "9103")  # answer + park, as the IVR would hold it
    assert await switch.wait_call_event(caller, "answered")
    # What the IVR and the ACD do (design §3): tag the caller leg, originate the agent leg tagged
    # with call id, queue and agent, bridge the two.
    await esl.api(f"uuid_setvar {caller} careline_call_id {caller}")
    agent = "0193a6b0-0000-7000-8000-00000000a001"
    reply = await esl.api(
        f"originate {{origination_uuid={agent},careline_call_id={caller},careline_queue=general,"
        f"careline_agent=1001}}user/1001 &park()"
    )
    assert reply.startswith("+OK"), reply
    assert (await esl.api(f"uuid_bridge {caller} {agent}")).startswith("+OK")
    assert await switch.wait_call_event(caller, "bridged")
    switch.hangup(caller)

    async def both_legs():
        body = (await http.get("/v1/cdrs", params={"call_id": caller})).json()
        return body if body["total"] == 2 else None

    body = await until(both_legs)
    legs = {item["uuid"]: item for item in body["items"]}
    assert set(legs) == {caller, agent}
    assert legs[caller]["direction"] == "inbound" and legs[caller]["caller_number"] == CALLER
    assert legs[caller]["destination_number"] == "9103"
    assert legs[agent]["direction"] == "outbound"
    assert (legs[agent]["queue"], legs[agent]["agent"]) == ("general", "1001")
    assert legs[caller]["other_leg_uuid"] == agent and legs[agent]["other_leg_uuid"] == caller
    assert legs[caller]["answer_time"] is not None and legs[caller]["hangup_cause"]

    # FreeSWITCH repeats itself (a second link, a replayed event): success, and no new row.
    intake, writer = app.state.cdr_intake, app.state.cdr_writer
    await until(lambda: _async(writer.stored == 2))
    for ev in [ev for ev in hangup_events if ev.get("Unique-ID") == caller]:
        switch.core.fire(ev)
    await until(lambda: _async(intake.duplicates >= 1))  # dropped by JetStream (Nats-Msg-Id = leg uuid)
    assert writer.stored == 2
    assert (await http.get("/v1/cdrs", params={"call_id": caller})).json()["total"] == 2


async def _async(value):
    return value

"""CDR storage, search, export and publication (R-CDR1), driven through the real app: SQLite file
(and PostgreSQL when CARELINE_TEST_PG_URL is set), real nats-server. Legs built from the real captured
CHANNEL_HANGUP_COMPLETE are put on the app's own intake (stream CDR_INTAKE, issue 15) and stored by its
batch writer; tests/integration/cdr/test_cdr_switch.py does the same through the FreeSWITCH simulator."""

from __future__ import annotations

import asyncio
import csv
import io
import uuid as uuidlib

import httpx
import pytest

from careline import subjects
from careline.cdr.app import create_app
from careline.cdr.models import CdrRow
from careline.cdr.settings import CdrSettings
from careline.v1.cdr_pb2 import Cdr
from careline.v1.common_pb2 import Direction
from tests.unit.cdr.test_mapping import real_hangup_complete

REAL = real_hangup_complete()
BASE_US = 1795640126799091  # the captured leg's start


def leg(n: int, **changes: str) -> dict[str, str]:
    """The captured event, moved n minutes later, with a fresh leg uuid and the given headers."""
    headers = dict(REAL)
    start = BASE_US + n * 60_000_000
    headers.update(
        {
            "Unique-ID": str(uuidlib.uuid4()),
            "variable_start_uepoch": str(start),
            "variable_answer_uepoch": str(start + 2_000_000),
            "variable_end_uepoch": str(start + 32_000_000),
        }
    )
    headers.update(changes)
    return headers


@pytest.fixture
async def cdr_app(db_url, nats_url):
    settings = CdrSettings(env="test", db_url=db_url, nats_url=nats_url, esl_enabled=False)
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        yield app


@pytest.fixture
async def http(cdr_app):
    transport = httpx.ASGITransport(app=cdr_app)
    async with httpx.AsyncClient(transport=transport, base_url="http://cdr") as client:
        yield client


async def store(app, *legs: dict[str, str], within: float = 20.0) -> None:
    """Put legs on the intake (each stored by JetStream before put returns), then wait until the writer
    has them in the table. A generous bound, not a speed assertion."""
    for headers in legs:
        await app.state.cdr_intake.put(headers)
    sessions = app.state.runtime.sessions
    wanted = {h["Unique-ID"] for h in legs}
    loop = asyncio.get_running_loop()
    end = loop.time() + within
    while loop.time() < end:
        async with sessions() as session:
            found = {u for u in wanted if await session.get(CdrRow, u) is not None}
        if found == wanted:
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"{len(wanted - found)} legs not stored")


async def stream_count(bus) -> int:
    info = await bus.nc.jetstream().stream_info(subjects.CDRS)
    return info.state.messages


async def test_leg_is_stored_once_and_published_once(cdr_app, http, bus):
    agent_leg = leg(
        0,
        **{
            "Call-Direction": "outbound",
            "variable_careline_call_id": "caller-leg",
            "variable_careline_queue": "general",
            "variable_careline_agent": "1001",
            "variable_careline_recording": "/recordings/caller-leg.wav",
        },
    )
    before = await stream_count(bus)
    await store(cdr_app, agent_leg)
    # FreeSWITCH repeated itself: JetStream drops the repeat by Nats-Msg-Id; past its window the
    # writer's upsert skips it. Either way success, and no new row or fact.
    assert await cdr_app.state.cdr_intake.put(agent_leg) is False
    await cdr_app.state.cdr_writer.write([agent_leg])

    page = (await http.get("/v1/cdrs", params={"call_id": "caller-leg"})).json()
    assert page["total"] == 1
    item = page["items"][0]
    assert item["uuid"] == agent_leg["Unique-ID"]
    assert (item["queue"], item["agent"], item["direction"]) == ("general", "1001", "outbound")
    assert item["recording_path"] == "/recordings/caller-leg.wav"
    assert (item["duration"], item["billsec"], item["waitsec"]) == (6, 6, 0)  # FreeSWITCH's own figures

    assert await stream_count(bus) == before + 1
    raw = await bus.nc.jetstream().get_last_msg(subjects.CDRS, subjects.CDR_CREATED)
    assert raw.headers["Nats-Msg-Id"] == agent_leg["Unique-ID"]
    fact = Cdr.FromString(raw.data)
    assert fact.uuid == agent_leg["Unique-ID"] and fact.meta.call_uuid == "caller-leg"
    assert fact.direction == Direction.DIRECTION_OUTBOUND
    assert (fact.queue, fact.agent_id, fact.billsec) == ("general", "1001", 6)
    assert fact.start_epoch == int(agent_leg["variable_start_uepoch"]) // 1_000_000
    assert (cdr_app.state.cdr_writer.stored, cdr_app.state.cdr_writer.duplicates) == (1, 1)


async def test_get_one_leg_and_404(cdr_app, http):
    headers = leg(0)
    await store(cdr_app, headers)
    got = await http.get(f"/v1/cdrs/{headers['Unique-ID']}")
    assert got.status_code == 200
    assert got.json()["start_time"].startswith("2026-11-25T20:55:26.799091")
    missing = await http.get("/v1/cdrs/no-such-leg")
    assert missing.status_code == 404 and "no-such-leg" in missing.json()["detail"]


async def test_filters_and_paging(cdr_app, http):
    legs = []
    for n in range(7):
        changes = {"Caller-Caller-ID-Number": "13912345678" if n % 2 else "13800000000"}
        if n >= 4:
            changes |= {"variable_careline_queue": "vip", "variable_careline_agent": f"10{n % 2}"}
        legs.append(leg(n, **changes))
    await store(cdr_app, *legs)
    newest_first = [h["Unique-ID"] for h in reversed(legs)]

    async def uuids(**params):
        response = await http.get("/v1/cdrs", params=params)
        assert response.status_code == 200, response.text
        return [i["uuid"] for i in response.json()["items"]], response.json()

    assert (await uuids())[0] == newest_first
    assert (await uuids(number="13912345678"))[1]["total"] == 3
    assert (await uuids(number="9100"))[1]["total"] == 7  # destination matches too
    assert (await uuids(queue="vip"))[0] == newest_first[:3]
    assert (await uuids(queue="vip", agent="101"))[0] == [legs[5]["Unique-ID"]]
    window = {"from": "2026-11-25T20:56:00Z", "to": "2026-11-25T20:58:00+00:00"}
    assert (await uuids(**window))[0] == [legs[2]["Unique-ID"], legs[1]["Unique-ID"]]

    seen, cursor = [], None
    while True:
        params = {"limit": 3} | ({"cursor": cursor} if cursor else {})
        page, body = await uuids(**params)
        assert body["total"] == 7
        seen += page
        cursor = body["next_cursor"]
        if cursor is None:
            break
    assert seen == newest_first
    by_offset, body = await uuids(limit=2, offset=5)
    assert by_offset == newest_first[5:] and body["next_cursor"] is None


@pytest.mark.parametrize(
    ("params", "reason"),
    [
        ({"limit": 501}, "less than or equal to 500"),
        ({"limit": 0}, "greater than or equal to 1"),
        ({"from": "yesterday"}, "datetime"),
        ({"from": "2026-11-26T00:00:00Z", "to": "2026-11-25T00:00:00Z"}, "'from' must be earlier"),
        ({"cursor": "!!!"}, "cursor"),
        ({"cursor": "MTox", "offset": 2}, "either cursor or offset"),
        ({"offset": -1}, "greater than or equal to 0"),
        ({"offset": 2**63}, "less than or equal to 2147483647"),  # issue 9 §7: was a 500
    ],
)
async def test_bad_filters_are_refused_with_a_reason(http, params, reason):
    response = await http.get("/v1/cdrs", params=params)
    assert response.status_code == 422
    assert reason in response.text


async def test_csv_export_streams_every_matching_leg(cdr_app, http):
    legs = [leg(n, **({"variable_careline_queue": "general"} if n < 3 else {})) for n in range(5)]
    await store(cdr_app, *legs)

    response = await http.get("/v1/cdrs.csv", params={"queue": "general"})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(response.text)))
    assert [r["uuid"] for r in rows] == [legs[2]["Unique-ID"], legs[1]["Unique-ID"], legs[0]["Unique-ID"]]
    assert rows[0]["queue"] == "general" and rows[0]["agent"] == "" and rows[0]["billsec"] == "6"
    assert response.text.splitlines()[0].startswith("uuid,call_id,other_leg_uuid,direction")

    bad = await http.get("/v1/cdrs.csv", params={"to": "not-a-time"})
    assert bad.status_code == 422


async def test_csv_export_neutralises_a_formula_in_a_caller_number(cdr_app, http):
    """Issue 9 §7: a caller number set over SIP to a formula comes out as text, not as a command."""
    attack = "=cmd|' /C calc'!A0"
    await store(cdr_app, leg(0, **{"Caller-Caller-ID-Number": attack, "Caller-Caller-ID-Name": "@SUM(1)"}))
    rows = list(csv.DictReader(io.StringIO((await http.get("/v1/cdrs.csv")).text)))
    cells = [v for v in rows[0].values() if v]
    assert "'" + attack in cells and attack not in cells
    assert not [v for v in cells if v[0] in "=+-@\t\r"], cells
    listed = (await http.get("/v1/cdrs")).json()["items"][0]
    assert attack in listed.values()  # the JSON API gives the stored value as it is


async def test_csv_export_pages_through_more_than_one_batch(cdr_app, http, monkeypatch):
    from careline.cdr import domain

    monkeypatch.setattr(domain, "EXPORT_BATCH", 2)
    monkeypatch.setattr(domain.iter_cdrs, "__kwdefaults__", {"batch": 2})
    await store(cdr_app, *(leg(n) for n in range(5)))
    rows = list(csv.DictReader(io.StringIO((await http.get("/v1/cdrs.csv")).text)))
    assert len(rows) == 5 and len({r["uuid"] for r in rows}) == 5

"""The flow management API on SQLite and a real nats-server (R-IVR4, R-ADM4): the bundled flow is loaded
on first start; broken flows are refused with the problem named; versions, publish, roll-back, numbers;
and the plan a call gets follows the publication at once."""

from __future__ import annotations

from contextlib import asynccontextmanager

import httpx

from careline.core.db import schema_diff
from careline.ivr.app import create_app
from careline.ivr.models import Base
from careline.ivr.settings import IvrSettings

HUMAN = {"type": "transfer", "queue": "general"}


def _definition(text: str, queue: str = "general") -> dict:
    return {
        "start": "hello",
        "nodes": {
            "hello": {"type": "play", "prompts": [f"say:{text}"], "next": "menu"},
            "menu": {"type": "menu", "prompt": "main_menu", "keys": {"1": "desk"}},
            "desk": {"type": "transfer", "queue": queue},
            "human": HUMAN,
        },
    }


@asynccontextmanager
async def ivr(tmp_path, nats_url):
    settings = IvrSettings(env="test", data_dir=tmp_path, nats_url=nats_url, socket_port=0, log_json=False)
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app), base_url="http://t") as client:
            yield app, client, settings


async def test_first_start_loads_the_hospital_flow_once_and_migrations_match_models(tmp_path, nats_url):
    async with ivr(tmp_path, nats_url) as (app, client, settings):
        assert await client.get("/v1/flows") and (await client.get("/v1/flows")).json() == ["hospital"]
        hospital = (await client.get("/v1/flows/hospital")).json()
        assert hospital["published_version"] == 1 and hospital["numbers"] == ["*"]
        plan = await app.state.flows.plan_for("95000")
        assert (plan.flow, plan.version, plan.definition.start) == ("hospital", 1, "vip_check")
        # the rendered prompt, relative to the call's sound_prefix (issue 8); Mandarin first
        assert plan.media["main_menu"] == "ivr/careline-main-menu.wav" and plan.definition.language == "zh"
        assert plan.media_by_language["en"]["main_menu"] == "ivr/careline-main-menu.wav"
        assert await schema_diff(settings.database_url, Base.metadata) == []
    async with ivr(tmp_path, nats_url) as (app, client, _):  # a restart loads nothing twice
        assert len((await client.get("/v1/flows/hospital")).json()["versions"]) == 1


async def test_schema_is_served(tmp_path, nats_url):
    async with ivr(tmp_path, nats_url) as (_, client, _):
        schema = (await client.get("/v1/flows/schema")).json()
        assert schema["title"] == "careline IVR flow" and "nodes" in schema["properties"]


async def test_broken_flows_are_refused_with_the_problem_named(tmp_path, nats_url):
    async with ivr(tmp_path, nats_url) as (_, client, _):
        broken = _definition("hi")
        broken["nodes"]["menu"]["keys"]["2"] = "nowhere"
        broken["nodes"]["menu"]["prompt"] = "no_such_prompt"
        r = await client.post("/v1/flows", json={"name": "clinic", "definition": broken})
        assert r.status_code == 422
        assert "key 2 goes to unknown node 'nowhere'" in r.json()["detail"]
        assert "prompt 'no_such_prompt' does not exist" in r.json()["detail"]
        check = (await client.post("/v1/flows/validate", json=broken)).json()
        assert check["valid"] is False and len(check["problems"]) == 2
        r = await client.post("/v1/flows", json={"name": "clinic", "definition": {"start": "x", "nodes": {}}})
        assert r.status_code == 422  # schema-level: no nodes
        assert (await client.get("/v1/flows/clinic")).status_code == 404  # nothing half-written


async def test_versions_publish_rollback_and_numbers(tmp_path, nats_url):
    async with ivr(tmp_path, nats_url) as (app, client, _):
        r = await client.post(
            "/v1/flows", json={"name": "clinic", "numbers": ["96000"], "definition": _definition("one")}
        )
        assert r.status_code == 201 and r.json()["published_version"] is None
        assert (await app.state.flows.plan_for("96000")).flow == "hospital"  # unpublished: the default
        assert (await client.post("/v1/flows/clinic/publish", json={"version": 1})).status_code == 200
        first = await app.state.flows.plan_for("96000")
        assert (first.flow, first.version) == ("clinic", 1)

        r = await client.post(
            "/v1/flows/clinic/versions", json={"definition": _definition("two"), "comment": "v2"}
        )
        assert r.status_code == 201 and r.json()["version"] == 2
        assert (await app.state.flows.plan_for("96000")).version == 1  # stored, not yet published
        await client.post("/v1/flows/clinic/publish", json={"version": 2})
        second = await app.state.flows.plan_for("96000")
        assert second.version == 2 and second.definition.nodes["hello"].prompts == ["say:two"]
        assert first.definition.nodes["hello"].prompts == ["say:one"]  # a call's plan never changes

        assert (await client.post("/v1/flows/clinic/rollback")).json()["published_version"] == 1
        assert (await app.state.flows.plan_for("96000")).version == 1
        got = (await client.get("/v1/flows/clinic/versions/2")).json()
        assert got["nodes"]["hello"]["prompts"] == ["say:two"]

        assert (await client.post("/v1/flows/clinic/publish", json={"version": 9})).status_code == 404
        r = await client.put("/v1/flows/clinic/numbers", json={"numbers": ["*"]})
        assert r.status_code == 409 and "already belongs to flow hospital" in r.json()["detail"]
        r = await client.post("/v1/flows", json={"name": "clinic", "definition": _definition("x")})
        assert r.status_code == 409
        r = await client.put("/v1/flows/clinic/numbers", json={"numbers": ["96001", "not a number"]})
        assert r.status_code == 422
        assert (await client.get("/v1/flows/clinic")).json()["numbers"] == ["96000"]


async def test_rollback_without_history_is_refused(tmp_path, nats_url):
    async with ivr(tmp_path, nats_url) as (_, client, _):
        r = await client.post("/v1/flows/hospital/rollback")
        assert r.status_code == 409 and "no earlier published version" in r.json()["detail"]

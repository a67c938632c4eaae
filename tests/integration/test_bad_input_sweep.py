"""Bad input to every HTTP API gets a 4xx with a reason, never a 500 (standards: bad input; R-ADM3).

Walks each service's own OpenAPI document and, for every route, sends what a careless integrator would:
unknown ids in the path, a body that is not JSON, a body whose every field has the wrong type, and
query parameters of the wrong type. Each service runs its real app (lifespan, SQLite file, a real
nats-server; no FreeSWITCH, so ESL stays down, which must not matter for input checks).
"""

from __future__ import annotations

import importlib
import re

import httpx
import pytest

SERVICES = ("acd", "ivr", "cdr", "crm", "billing")
STREAMING = re.compile(r"/events$")  # SSE streams never end; their input is query-only and tested elsewhere
WRONG_BY_TYPE = {
    "string": [1, 2],
    "integer": "eleven",
    "number": "a lot",
    "boolean": "maybe",
    "array": 7,
    "object": "flat",
}


def _schema(doc: dict, ref_or_schema: dict) -> dict:
    while "$ref" in ref_or_schema:
        name = ref_or_schema["$ref"].rsplit("/", 1)[-1]
        ref_or_schema = doc["components"]["schemas"][name]
    return ref_or_schema


def _wrong_body(doc: dict, operation: dict) -> dict | None:
    content = operation.get("requestBody", {}).get("content", {})
    if "application/json" not in content:
        return None
    schema = _schema(doc, content["application/json"]["schema"])
    props = schema.get("properties", {})
    wrong = {}
    for name, prop in props.items():
        prop = _schema(doc, prop)
        kind = prop.get("type") or next(
            (p.get("type") for p in prop.get("anyOf", []) if p.get("type")), "string"
        )
        wrong[name] = WRONG_BY_TYPE.get(kind, [1, 2])
    return wrong or {"unexpected": [1, 2, 3]}


def _requests(doc: dict):
    for path, item in doc["paths"].items():
        if STREAMING.search(path):
            continue
        concrete = re.sub(r"\{[^}]+\}", "zz-no-such-thing", path)
        for method, operation in item.items():
            method = method.upper()
            yield method, concrete, {}
            if method in ("POST", "PUT", "PATCH"):
                yield (
                    method,
                    concrete,
                    {"content": b"{not json", "headers": {"content-type": "application/json"}},
                )
                body = _wrong_body(doc, operation)
                if body is not None:
                    yield method, concrete, {"json": body}
            wrong_query = {
                p["name"]: WRONG_BY_TYPE.get(_schema(doc, p.get("schema", {})).get("type", ""), "x")
                for p in operation.get("parameters", [])
                if p.get("in") == "query"
            }
            if wrong_query:
                yield method, concrete, {"params": {k: str(v) for k, v in wrong_query.items()}}


@pytest.mark.parametrize("service", SERVICES)
async def test_every_route_answers_bad_input_with_a_4xx_reason(service, tmp_path, nats_url):
    settings_module = importlib.import_module(f"careline.{service}.settings")
    settings_cls = getattr(settings_module, f"{service.capitalize()}Settings")
    extra = {"socket_port": 0} if service == "ivr" else {}
    settings = settings_cls(
        env="test", data_dir=tmp_path, nats_url=nats_url, esl_port=1, log_json=False, **extra
    )
    app = importlib.import_module(f"careline.{service}.app").create_app(settings)
    failures, statuses = [], []
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app, raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport, base_url="http://t", timeout=10) as client:
            doc = (await client.get("/openapi.json")).json()
            for method, path, kwargs in _requests(doc):
                response = await client.request(method, path, **kwargs)
                statuses.append(response.status_code)
                if response.status_code >= 500:
                    failures.append(
                        f"{method} {path} {kwargs} -> {response.status_code} {response.text[:200]}"
                    )
                elif response.status_code >= 400 and "application/json" in response.headers.get(
                    "content-type", ""
                ):
                    if not response.json().get("detail"):
                        failures.append(
                            f"{method} {path} {kwargs} -> {response.status_code} without a reason"
                        )
    assert not failures, "\n".join(failures)
    refused = sum(400 <= code < 500 for code in statuses)
    assert len(statuses) >= len(doc["paths"]) and refused >= len(statuses) // 2, (
        service,
        len(statuses),
        refused,
    )

"""Bad input to every HTTP API gets a 4xx with a reason, never a 500 (standards: bad input; R-ADM3).

Walks each service's own OpenAPI document and, for every route, sends what a careless integrator would:
unknown ids in the path, a body that is not JSON, a body whose every field has the wrong type, and
query parameters of the wrong type. Each service runs its real app (lifespan, SQLite file, a real
nats-server; no FreeSWITCH, so ESL stays down, which must not matter for input checks).
"""

from __future__ import annotations

import contextlib
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


# Past SQLite's signed 64-bit INTEGER (and PostgreSQL's BIGINT): each must be a 422, never an overflow 500
# (issue 9 §7). Sent in every integer query parameter, path parameter and body field, one at a time.
HUGE = (2**63, 2**64, -(2**63) - 1)
SAMPLE_BY_TYPE = {"integer": 1, "number": 1, "boolean": False, "array": [], "object": {}}
SAMPLE_BY_FORMAT = {"date-time": "2030-01-02T09:00:00Z", "date": "2030-01-02"}


def _kind(doc: dict, prop: dict) -> tuple[str, dict]:
    prop = _schema(doc, prop)
    for option in prop.get("anyOf", []):
        option = _schema(doc, option)
        if option.get("type") not in (None, "null"):
            return option["type"], option
    return prop.get("type", "string"), prop


def _sample(doc: dict, prop: dict):
    """A value most fields accept: the default, the first enum value, the minimum, else digits."""
    kind, prop = _kind(doc, prop)
    if "default" in prop:
        return prop["default"]
    if prop.get("enum"):
        return prop["enum"][0]
    if kind == "integer":
        return prop.get("minimum", 1)
    if kind == "string":
        return SAMPLE_BY_FORMAT.get(prop.get("format", ""), "1234")
    return SAMPLE_BY_TYPE.get(kind, "1234")


def _huge_requests(doc: dict, path: str, method: str, operation: dict):
    params = [p for p in operation.get("parameters", []) if p.get("in") in ("query", "path")]
    for param in params:
        if _kind(doc, param.get("schema", {}))[0] != "integer":
            continue
        for huge in HUGE:
            if param["in"] == "path":
                yield method, path.replace("{" + param["name"] + "}", str(huge)), {}
            else:
                yield method, _concrete(path), {"params": {param["name"]: str(huge)}}
    content = operation.get("requestBody", {}).get("content", {})
    if "application/json" not in content:
        return
    props = _schema(doc, content["application/json"]["schema"]).get("properties", {})
    valid = {name: _sample(doc, prop) for name, prop in props.items()}
    for name, prop in props.items():
        if _kind(doc, prop)[0] == "integer":
            for huge in HUGE:
                yield method, _concrete(path), {"json": {**valid, name: huge}}


def _concrete(path: str) -> str:
    return re.sub(r"\{[^}]+\}", "1234", path)


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


@contextlib.asynccontextmanager
async def _service_client(service: str, tmp_path, nats_url):
    """The service's real app with its lifespan, and an HTTP client that sees its 500s as answers."""
    settings_module = importlib.import_module(f"careline.{service}.settings")
    settings_cls = getattr(settings_module, f"{service.capitalize()}Settings")
    extra = {"socket_port": 0} if service == "ivr" else {}
    settings = settings_cls(
        env="test", data_dir=tmp_path, nats_url=nats_url, esl_port=1, log_json=False, **extra
    )
    app = importlib.import_module(f"careline.{service}.app").create_app(settings)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app, raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport, base_url="http://t", timeout=10) as client:
            yield client


async def _sweep(client: httpx.AsyncClient, requests) -> tuple[list[str], list[int]]:
    failures, statuses = [], []
    for method, path, kwargs in requests:
        response = await client.request(method, path, **kwargs)
        statuses.append(response.status_code)
        if response.status_code >= 500:
            failures.append(f"{method} {path} {kwargs} -> {response.status_code} {response.text[:200]}")
        elif response.status_code >= 400 and "application/json" in response.headers.get("content-type", ""):
            if not response.json().get("detail"):
                failures.append(f"{method} {path} {kwargs} -> {response.status_code} without a reason")
    return failures, statuses


@pytest.mark.parametrize("service", SERVICES)
async def test_every_route_answers_bad_input_with_a_4xx_reason(service, tmp_path, nats_url):
    async with _service_client(service, tmp_path, nats_url) as client:
        doc = (await client.get("/openapi.json")).json()
        failures, statuses = await _sweep(client, _requests(doc))
    assert not failures, "\n".join(failures)
    refused = sum(400 <= code < 500 for code in statuses)
    assert len(statuses) >= len(doc["paths"]) and refused >= len(statuses) // 2, (
        service,
        len(statuses),
        refused,
    )


# acd and ivr still answer some of these with 500 (e.g. acd PUT /v1/queue max_wait_s=2**63): their owners
# add them here when their bounds are in.
HUGE_CHECKED = ("cdr", "crm", "billing")


@pytest.mark.parametrize("service", HUGE_CHECKED)
async def test_integers_past_64_bits_are_refused_not_overflowed(service, tmp_path, nats_url):
    """Every integer parameter and body field, given 2**63, 2**64 and -2**63-1 with the rest of the body
    plausible, gets a 4xx with a reason (issue 9 §7: offsets, ids and money past SQLite's range gave 500)."""
    async with _service_client(service, tmp_path, nats_url) as client:
        doc = (await client.get("/openapi.json")).json()
        requests = [
            r
            for path, item in doc["paths"].items()
            if not STREAMING.search(path)
            for method, operation in item.items()
            for r in _huge_requests(doc, path, method.upper(), operation)
        ]
        failures, statuses = await _sweep(client, requests)
    assert not failures, "\n".join(failures)
    assert requests and all(400 <= code < 500 for code in statuses), sorted(set(statuses))

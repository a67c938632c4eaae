"""The service shell: default secrets refused outside dev, probes, metrics, errors (design §1, §6)."""

from __future__ import annotations

import json
import logging
from contextlib import asynccontextmanager

import httpx
import pytest
from fastapi import APIRouter
from pydantic import ValidationError
from pydantic_settings import SettingsConfigDict

from careline.core.log import JsonFormatter, call_context, setup_logging
from careline.core.settings import ServiceSettings
from careline.core.web import DomainError, NotFound, add_readiness_check, service_app


class DemoSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="CARELINE_DEMOSVC_", extra="ignore")
    service: str = "demosvc"


STRONG_ESL = "Zq8#vN2!pL5xR7wT9kM3"
STRONG_JWT = "h7Kp2Wq9Lx4Nz6Bv3Mc8"


def test_env_defaults_to_prod_and_refuses_the_dev_defaults():
    """Issue 9 §8: a deployment that says nothing about its environment gets prod's rule."""
    with pytest.raises(ValidationError) as refused:
        DemoSettings()
    text = str(refused.value)
    assert "CARELINE_DEMOSVC_ESL_PASSWORD" in text and "CARELINE_DEMOSVC_JWT_SECRET" in text
    assert "CARELINE_DEMOSVC_ENV=dev" in text
    dev = DemoSettings(env="dev")
    assert dev.secret("esl_password") == "ClueCon" and DemoSettings(env="test").env == "test"


@pytest.mark.parametrize("weak", ["CHANGE_ME", "password", "1", "ClueCon", "change-me", "", "s3cret-enough"])
@pytest.mark.parametrize("field", ["esl_password", "jwt_secret"])
def test_prod_refuses_weak_secrets_naming_the_variable_never_the_value(field, weak):
    strong = {"esl_password": STRONG_ESL, "jwt_secret": STRONG_JWT}
    with pytest.raises(ValidationError) as refused:
        DemoSettings(env="prod", **(strong | {field: weak}))
    text = str(refused.value)
    assert f"CARELINE_DEMOSVC_{field.upper()}" in text
    assert (weak not in text) if len(weak) > 1 else ("input_value" not in text)


def test_a_weak_secrets_tail_is_not_in_the_refusal():
    """The old refusal quoted pydantic's input, whose truncated repr ended with the secret's tail."""
    secret = "hospital-password-" + "x" * 40 + "-TAIL42"
    with pytest.raises(ValidationError) as refused:
        DemoSettings(env="prod", esl_password=secret, jwt_secret=STRONG_JWT)
    text = str(refused.value)
    assert "TAIL42" not in text and "hospital-password" not in text and "input_value" not in text


def test_strong_secrets_start_in_prod_and_never_show_in_repr_str_dump_or_logs():
    ok = DemoSettings(env="prod", esl_password=STRONG_ESL, jwt_secret=STRONG_JWT)
    assert ok.env == "prod" and ok.secret("esl_password") == STRONG_ESL
    shown = [repr(ok), str(ok), ok.model_dump_json(), str(ok.model_dump())]
    record = logging.makeLogRecord({"name": "careline.demosvc", "msg": "settings %s %r", "args": (ok, ok)})
    shown.append(JsonFormatter("demosvc").format(record))
    assert "esl_password=SecretStr('**********')" in shown[-1]
    for text in shown:
        assert STRONG_ESL not in text and STRONG_JWT not in text


def test_settings_read_their_own_prefix(monkeypatch, tmp_path):
    monkeypatch.setenv("CARELINE_DEMOSVC_NATS_URL", "nats://10.0.0.1:4222")
    monkeypatch.setenv("CARELINE_OTHER_NATS_URL", "nats://wrong:1")
    s = DemoSettings(env="test", data_dir=tmp_path)
    assert s.nats_url == "nats://10.0.0.1:4222"
    assert s.database_url == f"sqlite+aiosqlite:///{(tmp_path / 'demosvc.db').resolve()}"


def _app(ready: dict[str, bool]):
    @asynccontextmanager
    async def lifespan(app):
        for name in ready:
            add_readiness_check(app, name, lambda n=name: ready[n])
        yield

    app = service_app(DemoSettings(env="test"), lifespan, title="demo")
    router = APIRouter(prefix="/v1")

    @router.get("/things/{n}")
    async def thing(n: int):
        if n == 0:
            raise NotFound("no thing 0")
        if n < 0:
            raise DomainError("negative things are not things")
        app.state.metrics_things.inc()
        return {"n": n}

    app.include_router(router)
    app.state.metrics_things = app.state.metrics.counter("things_total", "things served")
    return app


async def _client(app):
    return httpx.AsyncClient(transport=httpx.ASGITransport(app), base_url="http://t")


async def test_probes_follow_readiness_checks():
    ready = {"nats": True, "esl": False}
    app = _app(ready)
    async with app.router.lifespan_context(app), await _client(app) as client:
        assert (await client.get("/healthz")).json() == {"status": "ok"}
        r = await client.get("/readyz")
        assert r.status_code == 503 and r.json()["failing"] == ["esl"]
        ready["esl"] = True
        r = await client.get("/readyz")
        assert r.status_code == 200 and r.json()["checks"] == ["esl", "nats"]


async def test_errors_are_4xx_with_reasons_and_metrics_are_per_app():
    app, other = _app({}), _app({})
    async with await _client(app) as client:
        assert (await client.get("/v1/things/0")).json() == {"detail": "no thing 0"}
        bad = await client.get("/v1/things/-1")
        assert bad.status_code == 400 and "negative" in bad.json()["detail"]
        invalid = await client.get("/v1/things/abc")
        assert invalid.status_code == 422 and invalid.json()["problems"][0]["field"] == "path.n"
        await client.get("/v1/things/3")
        text = (await client.get("/metrics")).text
        assert "careline_demosvc_things_total 1.0" in text
    async with await _client(other) as client:
        assert "careline_demosvc_things_total 0.0" in (await client.get("/metrics")).text


@pytest.fixture
def root_handlers_restored():
    """setup_logging replaces the root handlers; one left on capsys's closed stream breaks later tests."""
    root = logging.getLogger()
    saved, level = root.handlers[:], root.level
    yield
    root.handlers[:] = saved
    root.setLevel(level)


def test_json_logs_carry_the_call_uuid(capsys, root_handlers_restored):
    setup_logging("demosvc", "INFO", json_lines=True)
    logger = logging.getLogger("careline.test")
    with call_context("a2e1d34c-3fde-43ef-a842-b47c08e2788d"):
        logger.info("answered", extra={"queue": "general"})
    logger.info("no call here")
    lines = [json.loads(line) for line in capsys.readouterr().err.splitlines()]
    assert lines[0]["call_uuid"] == "a2e1d34c-3fde-43ef-a842-b47c08e2788d"
    assert lines[0]["queue"] == "general" and lines[0]["service"] == "demosvc"
    assert "call_uuid" not in lines[1]
    assert isinstance(JsonFormatter("x").format(logging.makeLogRecord({"msg": "m"})), str)

"""The prompts API (R-IVR1, R-ADM4): TTS text per language, WAV uploads checked for format and size,
list, delete refused while a published flow uses the prompt; new media reach the next call's plan."""

from __future__ import annotations

import io
import wave
from contextlib import asynccontextmanager
from pathlib import Path

import httpx
import pytest

from careline.ivr.app import create_app
from careline.ivr.settings import IvrSettings


def wav(rate=8000, channels=1, width=2, frames=800) -> bytes:
    out = io.BytesIO()
    with wave.open(out, "wb") as w:
        w.setnchannels(channels)
        w.setsampwidth(width)
        w.setframerate(rate)
        w.writeframes(b"\x00\x01" * (frames * channels * width // 2))
    return out.getvalue()


@asynccontextmanager
async def ivr(tmp_path, nats_url, **extra):
    settings = IvrSettings(
        env="test", data_dir=tmp_path, nats_url=nats_url, socket_port=0, log_json=False, **extra
    )
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app), base_url="http://t") as client:
            yield app, client


def _upload(client, name, data, language="en"):
    files = {"file": ("p.wav", data, "audio/wav")}
    return client.put(f"/v1/prompts/{name}/{language}/wav", files=files)


async def test_upload_a_wav_and_the_next_call_plays_it(tmp_path, nats_url):
    async with ivr(tmp_path, nats_url) as (app, client):
        r = await _upload(client, "main_menu", wav(rate=16000))
        assert r.status_code == 200, r.text
        info = r.json()
        assert (
            info["kind"] == "wav"
            and info["in_published_flow"]
            and Path(info["path"]).read_bytes() == wav(16000)  # noqa: ASYNC240 - a test reads a small file
        )
        plan = await app.state.flows.plan_for("95000")
        assert plan.media_by_language["en"]["main_menu"] == info["path"]  # English callers hear it
        assert plan.media["main_menu"] == "ivr/careline-main-menu.wav"  # Mandarin keeps its own (issue 8)
        r = await client.put("/v1/prompts/main_menu/en/text", json={"text": "Press 1 or 0."})
        assert r.json()["kind"] == "tts"
        assert not Path(info["path"]).exists()  # noqa: ASYNC240 - the old recording goes
        plan = await app.state.flows.plan_for("95000")
        assert plan.media_by_language["en"]["main_menu"] == "say:Press 1 or 0."


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"hello, not audio", "no RIFF/WAVE header"),
        (wav(channels=2), "must be mono"),
        (wav(width=1), "16-bit PCM"),
        (wav(rate=11025), "sample rate"),
        (wav(frames=0), "no audio"),
        (wav(frames=4000), "the limit is 4000"),
    ],
)
async def test_bad_uploads_are_refused_with_a_reason_and_store_nothing(tmp_path, nats_url, data, reason):
    async with ivr(tmp_path, nats_url, prompt_max_bytes=4000) as (_, client):
        r = await _upload(client, "new_prompt", data)
        assert r.status_code == 422 and reason in r.json()["detail"]
        assert (await client.get("/v1/prompts/new_prompt/en")).status_code == 404
        assert not list((tmp_path / "prompts").glob("*")) if (tmp_path / "prompts").exists() else True


async def test_tts_per_language_list_and_delete(tmp_path, nats_url):
    async with ivr(tmp_path, nats_url) as (_, client):
        assert (
            await client.put("/v1/prompts/closed/en/text", json={"text": "We are closed."})
        ).status_code == 200
        assert (
            await client.put("/v1/prompts/closed/zh/text", json={"text": "我们已下班。"})
        ).status_code == 200
        assert (await _upload(client, "closed", wav(), language="fr")).status_code == 200
        listed = {(p["name"], p["language"]): p for p in (await client.get("/v1/prompts")).json()}
        assert (
            listed[("closed", "zh")]["text"] == "我们已下班。" and listed[("closed", "fr")]["kind"] == "wav"
        )
        assert (
            listed[("main_menu", "en")]["in_published_flow"]
            and not listed[("closed", "en")]["in_published_flow"]
        )
        assert (await client.delete("/v1/prompts/closed/fr")).status_code == 204
        assert (await client.delete("/v1/prompts/closed")).status_code == 204
        assert (await client.get("/v1/prompts/closed/en")).status_code == 404
        assert (await client.delete("/v1/prompts/closed")).status_code == 404
        assert (await client.put("/v1/prompts/bad name/en/text", json={"text": "x"})).status_code in (
            404,
            422,
        )
        assert (await client.put("/v1/prompts/ok/english/text", json={"text": "x"})).status_code == 422


async def test_a_prompt_a_published_flow_uses_cannot_be_deleted(tmp_path, nats_url):
    async with ivr(tmp_path, nats_url) as (_, client):
        r = await client.delete("/v1/prompts/main_menu")
        assert r.status_code == 409 and "used by a published flow" in r.json()["detail"]
        assert (await client.get("/v1/prompts/main_menu/en")).status_code == 200

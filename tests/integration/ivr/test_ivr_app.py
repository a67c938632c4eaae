"""The IVR against a real nats-server and the simulator, without an ACD: the caller hears sorry and the
call ends (design §3, R-IVR5); readiness follows the socket and NATS."""

from __future__ import annotations

import asyncio
import secrets

import httpx

from careline.ivr.app import create_app
from careline.ivr.settings import IvrSettings
from careline.switchsim import CallerScript, Switch, SwitchConfig


async def test_without_an_acd_the_caller_hears_sorry_and_the_call_ends(tmp_path, nats_url):
    config = SwitchConfig(esl_port=0, password=secrets.token_hex(8), time_scale=0.05)
    sw = Switch(config)
    await sw.start()
    settings = IvrSettings(
        env="test",
        nats_url=nats_url,
        data_dir=tmp_path,
        socket_port=0,
        acd_timeout_s=0.5,
        prompt_main_menu="ivr/menu.wav",
    )
    app = create_app(settings)
    try:
        async with app.router.lifespan_context(app):
            async with httpx.AsyncClient(transport=httpx.ASGITransport(app), base_url="http://t") as client:
                assert (await client.get("/readyz")).status_code == 200
                sw.set_inbound_socket("127.0.0.1", app.state.socket_port)
                script = CallerScript([CallerScript.wait_for("PLAYBACK_START"), CallerScript.press("0")])
                uuid = await sw.place_call("13800000001", "5000", script)
                await asyncio.wait_for(sw.calls[uuid].done.wait(), 15)
                record = sw.calls[uuid]
                assert record.bridged_to is None and record.hangup_cause == "NORMAL_TEMPORARY_FAILURE"
                metrics = (await client.get("/metrics")).text
                assert 'careline_ivr_handovers_total{result="acd_unavailable"} 1.0' in metrics
        assert sw.core.channels == {} or await sw.wait_idle(5)
    finally:
        await sw.stop()


async def test_drain_takes_the_pod_out_of_rotation_and_counts_calls_in_progress(tmp_path, nats_url):
    """deploy/drain.py's contract (design §9): POST /v1/drain → /readyz 503; GET reports active calls."""
    sw = Switch(SwitchConfig(esl_port=0, password=secrets.token_hex(8), time_scale=0.05))
    await sw.start()
    app = create_app(
        IvrSettings(
            env="test", data_dir=tmp_path, nats_url=nats_url, socket_port=0, prompt_main_menu="ivr/menu.wav"
        )
    )
    try:
        async with app.router.lifespan_context(app):
            async with httpx.AsyncClient(transport=httpx.ASGITransport(app), base_url="http://t") as client:
                sw.set_inbound_socket("127.0.0.1", app.state.socket_port)
                assert (await client.get("/v1/drain")).json() == {"draining": False, "active_calls": 0}
                uuid = await sw.place_call("13800000002", "5000", CallerScript([CallerScript.wait(30)]))
                assert await sw.wait_call_event(uuid, "PLAYBACK_START", 10)
                started = (await client.post("/v1/drain")).json()
                assert started == {"draining": True, "active_calls": 1}
                ready = await client.get("/readyz")
                assert ready.status_code == 503 and ready.json()["failing"] == ["not_draining"]
                sw.hangup(uuid, "NORMAL_CLEARING")
                await asyncio.wait_for(sw.calls[uuid].done.wait(), 10)
                for _ in range(100):
                    if (await client.get("/v1/drain")).json()["active_calls"] == 0:
                        break
                    await asyncio.sleep(0.05)
                assert (await client.get("/v1/drain")).json() == {"draining": True, "active_calls": 0}
    finally:
        await sw.stop()

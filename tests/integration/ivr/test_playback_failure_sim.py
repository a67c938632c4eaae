"""A prompt the switch cannot play, on the simulator (issue 8 part 3, design §10, R-IVR5).

The simulator plays sound files from disk when it has a ``sound_prefix`` and fails a missing one as
FreeSWITCH 1.11.2 does (play_and_get_digits ends at once, ``read_result`` unset). The IVR sets the
call's ``sound_prefix`` to the caller's language folder: with the rendered main menu there, the caller
presses 0 and reaches a human for that reason; without it, the IVR plays the menu once more, publishes
``careline.ivr.playback.failed`` twice, counts ``careline_ivr_playback_failures_total`` and hands the
caller over with the reason ``playback_failed`` instead of walking menu -> invalid -> menu.
"""

from __future__ import annotations

import asyncio
import secrets
from pathlib import Path

import httpx

from careline import subjects
from careline.ivr.app import create_app
from careline.ivr.settings import IvrSettings
from careline.switchsim import CallerScript, Switch, SwitchConfig
from careline.v1.acd_pb2 import EnqueueReply, EnqueueRequest
from careline.v1.call_pb2 import PlaybackFailed

WAV = (
    b"RIFF" + (36 + 1600).to_bytes(4, "little") + b"WAVEfmt " + (16).to_bytes(4, "little")
    + (1).to_bytes(2, "little") + (1).to_bytes(2, "little") + (8000).to_bytes(4, "little")
    + (16000).to_bytes(4, "little") + (2).to_bytes(2, "little") + (16).to_bytes(2, "little")
    + b"data" + (1600).to_bytes(4, "little") + bytes(1600)
)  # fmt: skip


def _render(sounds: Path, *names: str) -> None:
    """What ``careline prompts render`` leaves for these prompts: the rate folders FreeSWITCH's
    mod_sndfile looks in first, and the bare path it falls back to (the simulator looks only there)."""
    for name in names:
        for folder in ("ivr/8000", "ivr/16000", "ivr"):
            path = sounds / "zh/cn/careline" / folder / f"careline-{name}.wav"
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(WAV)


async def _call(tmp_path, nats_url, bus, script: CallerScript):
    sounds = tmp_path / "sounds"
    sounds.mkdir(exist_ok=True)
    config = SwitchConfig(
        esl_port=0, password=secrets.token_hex(8), time_scale=0.05, sound_prefix=str(sounds / "none")
    )
    sw = Switch(config)
    await sw.start()
    handed: list[EnqueueRequest] = []
    failures: list[PlaybackFailed] = []

    async def acd(request: EnqueueRequest) -> EnqueueReply:
        handed.append(request)
        return EnqueueReply(accepted=False, reason="test_has_no_agents")

    async def failed(message: PlaybackFailed) -> None:
        failures.append(message)

    await bus.serve(subjects.ACD_ENQUEUE, acd, request_type=EnqueueRequest)
    await bus.subscribe(subjects.IVR_PLAYBACK_FAILED, failed, msg_type=PlaybackFailed)
    settings = IvrSettings(
        env="test", nats_url=nats_url, data_dir=tmp_path, socket_port=0, sounds_dir=str(sounds)
    )
    app = create_app(settings)
    try:
        async with app.router.lifespan_context(app):
            async with httpx.AsyncClient(transport=httpx.ASGITransport(app), base_url="http://t") as client:
                sw.set_inbound_socket("127.0.0.1", app.state.socket_port)
                uuid = await sw.place_call("13800000001", "5000", script)
                await asyncio.wait_for(sw.calls[uuid].done.wait(), 15)
                metrics = (await client.get("/metrics")).text
        return sounds, uuid, handed, failures, metrics, sw
    finally:
        await sw.stop()


async def test_a_missing_main_menu_is_noticed_repeated_once_then_a_human_takes_the_caller(
    tmp_path, nats_url, bus
):
    _, uuid, handed, failures, metrics, _ = await _call(tmp_path, nats_url, bus, CallerScript([]))
    (request,) = handed
    assert request.call_uuid == uuid and request.call_data["ivr_reason"] == "playback_failed"
    assert request.call_data["language"] == "zh"

    for _ in range(100):  # a push: give the subscriber its messages
        if len(failures) == 2:
            break
        await asyncio.sleep(0.02)
    assert [(f.call_uuid, f.attempt, f.detail, f.node, f.language) for f in failures] == [
        (uuid, 1, "read_result unset", "main", "zh"),
        (uuid, 2, "read_result unset", "main", "zh"),
    ]
    assert failures[0].media == "ivr/careline-main-menu.wav" and failures[0].flow == "hospital"
    assert 'careline_ivr_playback_failures_total{kind="read_result unset"} 2.0' in metrics
    assert 'careline_ivr_menu_choices_total{choice="none"}' not in metrics  # not taken for silence


async def test_with_the_rendered_menu_in_the_callers_language_folder_the_keys_are_collected(
    tmp_path, nats_url, bus
):
    _render(tmp_path / "sounds", "main-menu")
    script = CallerScript([CallerScript.wait_for("PLAYBACK_START"), CallerScript.press("0")])
    _, uuid, handed, failures, metrics, sw = await _call(tmp_path, nats_url, bus, script)
    (request,) = handed
    assert request.call_data["ivr_reason"] == "key_0" and failures == []
    assert (
        "careline_ivr_playback_failures_total" not in metrics
        or "} 1.0" not in metrics.split("careline_ivr_playback_failures_total")[-1].split("\n")[0]
    )

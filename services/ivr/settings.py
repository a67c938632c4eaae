"""IVR settings (design §1): env prefix ``CARELINE_IVR_``.

Prompts are file paths FreeSWITCH can play (``/srv/sounds/menu.wav``, ``local_stream://…``,
``tone_stream://…``) or ``say:<text>`` for text-to-speech with the configured engine and voice (R-IVR1).
"""

from __future__ import annotations

from pathlib import Path

from pydantic_settings import SettingsConfigDict

from careline.core.settings import ServiceSettings


class IvrSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="CARELINE_IVR_", extra="ignore")

    service: str = "ivr"
    # Its own default HTTP port, so the five services started side by side do not collide (docs/ops/ports.md).
    http_port: int = 8102
    # FreeSWITCH's dialplan runs `socket <socket_host>:<socket_port> async full`; 0 lets the OS pick (tests).
    socket_host: str = "127.0.0.1"
    socket_port: int = 8084
    socket_linger_s: int = 10
    drain_timeout_s: float = 30.0

    # Recorded files for four prompts of the default hospital flow, seeded on first start; empty keeps
    # the flow's TTS text (services/ivr/defaults/hospital.json). Later edits go through /v1/prompts.
    prompt_main_menu: str = ""
    prompt_invalid: str = ""
    prompt_goodbye: str = ""
    prompt_sorry: str = ""
    prompts_dir: Path | None = (
        None  # uploaded WAVs; FreeSWITCH must see the same path (default data_dir/prompts)
    )
    prompt_max_bytes: int = 10 * 1024 * 1024
    # Voice (issue 8, design §10; docs/ops/voice.md). The rendered prompts of language L are under
    # <sounds_dir>/<L>/<country>/careline, which becomes the call's sound_prefix; "${sounds_dir}" is
    # FreeSWITCH's own global, expanded by the switch. Dynamic text goes to mod_tts_commandline.
    sounds_dir: str = "${sounds_dir}"
    tts_engine: str = "tts_commandline"
    tts_voices: dict[str, str] = {"zh": "cmn", "en": "en-us"}

    acd_timeout_s: float = 3.0
    crm_timeout_s: float = 0.5  # a slow CRM must never hold the caller (R-CRM2 is best effort)
    recordings_dir: str = "/var/lib/careline/recordings"  # where FreeSWITCH writes voice messages
    features: dict[str, bool] = {}  # feature flags for flow conditions, overriding the flows' own

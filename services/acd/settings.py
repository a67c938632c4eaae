"""ACD settings (design §1): env prefix ``CARELINE_ACD_``."""

from __future__ import annotations

from pydantic_settings import SettingsConfigDict

from careline.core.settings import ServiceSettings


class AcdSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="CARELINE_ACD_", extra="ignore")

    service: str = "acd"
    # Dial string of an agent's phone; FreeSWITCH's directory covers SIP and Verto contacts (design §8).
    agent_dial: str = "user/{extension}"
    enqueue_timeout_s: float = 2.0

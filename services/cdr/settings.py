"""CDR settings (design §1): env prefix ``CARELINE_CDR_``; the ESL link settings come from the base."""

from __future__ import annotations

from pydantic_settings import SettingsConfigDict

from careline.core.settings import ServiceSettings


class CdrSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="CARELINE_CDR_", extra="ignore")

    service: str = "cdr"
    # Its own default HTTP port, so the five services started side by side do not collide (docs/ops/ports.md).
    http_port: int = 8103

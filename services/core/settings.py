"""Settings shared by every service (design §1, §6).

Each service subclasses :class:`ServiceSettings` with its own env prefix (``CARELINE_<SVC>_``), so one
container image runs any service and an ops team configures each from its own variables. Secrets that
ship with a default (the ESL password FreeSWITCH itself ships, the dev JWT key) are refused outside
``dev``/``test``: a production pod with a guessable secret must not start.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEV_SECRETS = {"ClueCon", "change-me", ""}


class ServiceSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="CARELINE_", extra="ignore")

    service: str = "core"
    env: Literal["dev", "test", "prod"] = "dev"
    http_host: str = "127.0.0.1"
    http_port: int = 8000
    log_level: str = "INFO"
    log_json: bool = True

    data_dir: Path = Path("var")
    db_url: str | None = None

    nats_url: str = "nats://127.0.0.1:4222"

    esl_host: str = "127.0.0.1"
    esl_port: int = 8021
    esl_password: str = "ClueCon"
    esl_enabled: bool = True

    jwt_secret: str = "change-me"

    @model_validator(mode="after")
    def _refuse_default_secrets(self) -> ServiceSettings:
        if self.env in ("dev", "test"):
            return self
        for field in self.secret_fields():
            if getattr(self, field) in DEV_SECRETS:
                prefix = self.model_config.get("env_prefix", "")
                raise ValueError(
                    f"{prefix}{field.upper()} still has its default value; set a real secret outside dev"
                )
        return self

    def secret_fields(self) -> tuple[str, ...]:
        return ("esl_password", "jwt_secret")

    @property
    def database_url(self) -> str:
        """The configured URL, else a SQLite file of this service's own under ``data_dir`` (design §5)."""
        if self.db_url:
            return self.db_url
        self.data_dir.mkdir(parents=True, exist_ok=True)
        return f"sqlite+aiosqlite:///{(self.data_dir / f'{self.service}.db').resolve()}"

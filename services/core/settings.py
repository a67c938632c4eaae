"""Settings shared by every service (design §1, §6).

Each service subclasses :class:`ServiceSettings` with its own env prefix (``CARELINE_<SVC>_``), so one
container image runs any service and an ops team configures each from its own variables.

``env`` defaults to ``prod`` (issue 9 §8): a deployment that forgets to say which environment it is gets
the strict one, and every development or test run says ``dev``/``test`` explicitly (``careline demo``,
``careline loadgen``, the tests). In ``prod`` every secret field must pass
:func:`careline.core.secrets.check_secret` (length, no known default or placeholder, no dictionary
word): a pod with a guessable secret does not start, and the refusal names the environment variable,
never any part of the value. Secrets are :class:`pydantic.SecretStr`, so no repr, str, log line or
validation error shows them (``hide_input_in_errors``: pydantic would otherwise quote the input, whose
tail was the secret's).
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from careline.core.secrets import WeakSecretError, check_secret

# What the dev defaults are; both are refused in prod by the strength rule (careline.core.secrets).
DEV_ESL_PASSWORD = "ClueCon"  # the password FreeSWITCH itself ships (and the simulator's default)
DEV_JWT_SECRET = "change-me"


class ServiceSettings(BaseSettings):
    # Subclasses' model_config is merged with this one, so hide_input_in_errors holds for every service.
    model_config = SettingsConfigDict(env_prefix="CARELINE_", extra="ignore", hide_input_in_errors=True)

    service: str = "core"
    env: Literal["dev", "test", "prod"] = "prod"
    http_host: str = "127.0.0.1"
    http_port: int = 8000
    log_level: str = "INFO"
    log_json: bool = True

    data_dir: Path = Path("var")
    db_url: str | None = None

    nats_url: str = "nats://127.0.0.1:4222"

    esl_host: str = "127.0.0.1"
    esl_port: int = 8021
    esl_password: SecretStr = SecretStr(DEV_ESL_PASSWORD)
    esl_enabled: bool = True

    jwt_secret: SecretStr = SecretStr(DEV_JWT_SECRET)

    @model_validator(mode="after")
    def _refuse_weak_secrets(self) -> ServiceSettings:
        if self.env in ("dev", "test"):
            return self
        refusals = []
        for field in self.secret_fields():  # every weak one at once, so an operator fixes them in one go
            try:
                check_secret(self.env_variable(field), self.secret(field))
            except WeakSecretError as err:
                refusals.append(str(err))
        if refusals:
            hint = f"(a development run says {self.env_variable('env')}=dev)"
            raise WeakSecretError("; ".join([*refusals, hint]))
        return self

    def secret_fields(self) -> tuple[str, ...]:
        return ("esl_password", "jwt_secret")

    def secret(self, field: str) -> str:
        """The value of a secret field, for the one place that must send it (ESL auth, say)."""
        value = getattr(self, field)
        return value.get_secret_value() if isinstance(value, SecretStr) else (value or "")

    def env_variable(self, field: str) -> str:
        """The environment variable that sets ``field`` (what a refusal names)."""
        return f"{self.model_config.get('env_prefix', '')}{field.upper()}"

    @property
    def database_url(self) -> str:
        """The configured URL, else a SQLite file of this service's own under ``data_dir`` (design §5)."""
        if self.db_url:
            return self.db_url
        self.data_dir.mkdir(parents=True, exist_ok=True)
        return f"sqlite+aiosqlite:///{(self.data_dir / f'{self.service}.db').resolve()}"

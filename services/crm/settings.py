"""CRM settings (design §1): env prefix ``CARELINE_CRM_``."""

from __future__ import annotations

from pydantic_settings import SettingsConfigDict

from careline.core.settings import ServiceSettings


class CrmSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="CARELINE_CRM_", extra="ignore")

    service: str = "crm"
    # Completes local landline numbers that arrive without area code (e.g. "010" for Beijing);
    # None refuses them, because the same 8 digits exist in every city.
    default_area_code: str | None = None

"""CRM settings (design §1): env prefix ``CARELINE_CRM_``."""

from __future__ import annotations

from pydantic_settings import SettingsConfigDict

from careline.core.settings import ServiceSettings


class CrmSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="CARELINE_CRM_", extra="ignore")

    service: str = "crm"
    # Its own default HTTP port, so the five services started side by side do not collide (docs/ops/ports.md).
    http_port: int = 8104
    # Completes local landline numbers that arrive without area code (e.g. "010" for Beijing);
    # None refuses them, because the same 8 digits exist in every city.
    default_area_code: str | None = None
    # The hospital's clock: slot times typed without an offset, and dates keyed in the IVR, are local.
    timezone: str = "Asia/Shanghai"
    # Durable consumer of CDR_CREATED on stream CDRS (interaction history, R-CRM1).
    cdr_durable: str = "crm-history"
    # Days a complaint may stay open before it is overdue (R-CMP1).
    complaint_due_days: int = 3

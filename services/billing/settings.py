"""Billing settings (design §1): env prefix ``CARELINE_BILLING_``. Money is integer fen (1 CNY = 100 fen)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from careline.core.settings import ServiceSettings

Rounding = Literal["per_started_minute", "per_second"]


class BillingSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="CARELINE_BILLING_", extra="ignore")

    service: str = "billing"
    # Its own default HTTP port, so the five services started side by side do not collide (docs/ops/ports.md).
    http_port: int = 8105

    # Wrong PINs in a row before a card locks (R-REG4, R-EXP1); an agent's PIN reset unlocks it.
    max_pin_attempts: int = Field(default=5, ge=1)
    # scrypt cost (2**14 ≈ 16 MiB, tens of ms): slow enough to make guessing 6-digit PINs offline costly.
    pin_scrypt_n: int = 2**14

    # Rating defaults (R-EXP3: 2 CNY per minute), used when no rate plan matches.
    default_consultation_rate_fen: int = Field(default=200, ge=0)
    default_rounding: Rounding = "per_started_minute"
    default_registration_fee_fen: int = Field(default=500, ge=0)

    # Formal registrations (R-REG4, R-REG5): the hospital's clock decides when a visit's day is over.
    hospital_timezone: str = "Asia/Shanghai"
    registration_lease_s: int = Field(default=30, ge=1)  # a saga step older than this is taken over
    registration_sweep_s: float = Field(default=60.0, gt=0)  # no-show refunds + saga recovery period
    crm_timeout_s: float = Field(default=3.0, gt=0)

    # VIP level -> benefits (R-VIP3, hospital policy). Benefits: free_consultation, free_registration,
    # home_nursing, emergency_help.
    vip_benefits: dict[int, list[str]] = {
        1: ["free_registration"],
        2: ["free_registration", "free_consultation"],
        3: ["free_registration", "free_consultation", "home_nursing", "emergency_help"],
    }

    # Paid expert consultations (R-EXP3, design §3). Seconds are billed (switch) seconds.
    # The sched_hangup backstop fires this long after the paid time, if the call's owner did not end it.
    consultation_grace_s: int = Field(default=10, ge=1)
    consultation_warning_s: int = Field(default=60, ge=0)  # the caller is warned this long before the end
    consultation_free_drop_s: int = Field(default=10, ge=0)  # shorter consultations are not charged
    consultation_max_s: int = Field(default=3600, ge=60)  # cap for free (VIP) and large balances
    interim_debit_period_s: int = Field(default=60, ge=1)
    warning_prompt: str = "ivr/careline-credit-low.wav"
    # Real seconds per billed second: 1 in production; the simulator runs faster in tests.
    time_scale: float = Field(default=1.0, gt=0)

    # Expert conferences (R-EXP6): per-minute seat rates when no rate plan matches (a listener may be
    # free: 0), and the DTMF key a participant presses to raise a hand.
    conference_speaker_rate_fen: int = Field(default=200, ge=0)
    conference_listener_rate_fen: int = Field(default=50, ge=0)
    conference_hand_key: str = Field(default="*", pattern=r"^[0-9*#]$")
    # A seat's CDR waits this long (real seconds) for the del-member this replica is still writing.
    conference_leave_wait_s: float = Field(default=2.0, ge=0)
    # While the ESL link is up, each room's watch mark (the last moment its members were known present)
    # is stored this often (switch seconds): a leave nobody saw is billed until the mark, so at most
    # this much time with the expert goes uncharged after a crash (a clean stop stores it last).
    conference_watch_period_s: int = Field(default=10, ge=1)

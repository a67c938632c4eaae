"""Rating: what a service costs, in integer fen (R-EXP2, R-EXP3, R-VIP3, R-REG4). Pure: no I/O.

A plan prices a service for an expert category (``*`` matches any). Metered services are priced per
minute with one of two rounding rules:

- ``per_started_minute``: every started minute costs the full rate — ``ceil(s / 60) * rate``;
- ``per_second``: ``rate / 60`` per second, the total rounded up to a whole fen — ``ceil(s * rate / 60)``.

Flat services (registration) cost ``price_fen`` once. A VIP whose level grants the matching benefit pays
nothing (R-EXP5, R-VIP3). Integer arithmetic only: no float ever touches money.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

EXPERT_CONSULTATION = "expert_consultation"
CONFERENCE_SPEAKER = "conference_speaker"
CONFERENCE_LISTENER = "conference_listener"
REGISTRATION = "registration"
METERED = (EXPERT_CONSULTATION, CONFERENCE_SPEAKER, CONFERENCE_LISTENER)
SERVICES = (*METERED, REGISTRATION)
ROUNDINGS = ("per_started_minute", "per_second")
ANY = "*"

# Which VIP benefit makes which service free (R-VIP3).
BENEFIT_FOR = {
    EXPERT_CONSULTATION: "free_consultation",
    CONFERENCE_SPEAKER: "free_consultation",
    CONFERENCE_LISTENER: "free_consultation",
    REGISTRATION: "free_registration",
}


@dataclass(frozen=True)
class Plan:
    service: str
    category: str
    price_fen: int  # per minute for metered services, per item for flat ones
    rounding: str = "per_started_minute"

    def __post_init__(self) -> None:
        if self.service not in SERVICES:
            raise ValueError(f"unknown service {self.service!r}")
        if self.rounding not in ROUNDINGS:
            raise ValueError(f"unknown rounding {self.rounding!r}")
        if not isinstance(self.price_fen, int) or self.price_fen < 0:
            raise ValueError("price_fen is a non-negative integer")

    @property
    def metered(self) -> bool:
        return self.service in METERED


def metered_charge(seconds: int, rate_fen_per_minute: int, rounding: str) -> int:
    """The charge for ``seconds`` of talk time (R-EXP3)."""
    if seconds <= 0:
        return 0
    if rounding == "per_started_minute":
        return -(-seconds // 60) * rate_fen_per_minute
    if rounding == "per_second":
        return -(-seconds * rate_fen_per_minute // 60)
    raise ValueError(f"unknown rounding {rounding!r}")


def is_free_for(service: str, vip_level: int, vip_benefits: Mapping[int, Iterable[str]]) -> bool:
    return vip_level > 0 and BENEFIT_FOR.get(service, "") in set(vip_benefits.get(vip_level, ()))


def charge(
    plan: Plan, *, seconds: int = 0, vip_level: int = 0, vip_benefits: Mapping[int, Iterable[str]] = {}
) -> int:
    """What the plan charges: metered by seconds, or the flat fee; zero when a VIP benefit applies."""
    if is_free_for(plan.service, vip_level, vip_benefits):
        return 0
    if plan.metered:
        return metered_charge(seconds, plan.price_fen, plan.rounding)
    return plan.price_fen


def allowed_seconds(balance_fen: int, rate_fen_per_minute: int, rounding: str) -> int | None:
    """The longest talk time ``balance_fen`` pays for under the rule; None = unlimited (free)."""
    if rate_fen_per_minute == 0:
        return None
    if balance_fen <= 0:
        return 0
    if rounding == "per_started_minute":
        return (balance_fen // rate_fen_per_minute) * 60
    return balance_fen * 60 // rate_fen_per_minute


def yuan(fen: int) -> str:
    """Exact "12.05" for 1205 fen."""
    sign = "-" if fen < 0 else ""
    whole, cents = divmod(abs(fen), 100)
    return f"{sign}{whole}.{cents:02d}"


def tariff_text(plan: Plan, *, lang: str = "zh") -> str:
    """What the IVR must say before charging (R-EXP2, a legal requirement)."""
    price = yuan(plan.price_fen)
    if not plan.metered:
        if lang == "en":
            return f"This service costs {price} yuan, charged to your card account when you confirm."
        return f"本项服务收费{price}元，确认后从您的就诊卡账户扣除。"
    if lang == "en":
        unit = (
            "every started minute is charged in full"
            if plan.rounding == "per_started_minute"
            else "charged by the second"
        )
        return (
            f"This consultation costs {price} yuan per minute of talk time, {unit}. Charging starts "
            "only when the expert answers. You will hear a warning one minute before your credit runs out."
        )
    unit = "不足一分钟按一分钟计" if plan.rounding == "per_started_minute" else "按秒计费"
    return (
        f"本次专家咨询按通话时长收费，每分钟{price}元，{unit}。专家接听后才开始计费，"
        "余额不足一分钟时会提示您。"
    )

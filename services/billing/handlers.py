"""Bus subjects billing answers, mapped to domain calls (design §1, §4).

| subject (careline.subjects) | kind    | message                          | domain call           |
|-----------------------------|---------|----------------------------------|-----------------------|
| BILLING_CARD_AUTH           | request | CardAuthRequest -> CardAuthReply | Billing.authenticate  |
| BILLING_TARIFF              | request | TariffRequest -> TariffReply     | Billing.tariff        |

Authentication is not idempotent by nature — a repeated wrong PIN counts twice, as it should: each
request is a guess. A refused card is an answer (result code), not an error, so the IVR can say why.
"""

from __future__ import annotations

import logging

from careline import subjects
from careline.billing import errors
from careline.billing.domain import Billing
from careline.core.bus import Bus
from careline.v1.billing_pb2 import (
    AuthResult,
    CardAuthReply,
    CardAuthRequest,
    TariffReply,
    TariffRequest,
)

log = logging.getLogger("careline.billing")


class CardAuthHandler:
    def __init__(self, billing: Billing) -> None:
        self._billing = billing

    async def __call__(self, request: CardAuthRequest) -> CardAuthReply:
        try:
            ok = await self._billing.authenticate(request.card_number, request.pin)
        except errors.UnknownCard:
            return CardAuthReply(result=AuthResult.AUTH_RESULT_UNKNOWN_CARD)
        except errors.CardLocked:
            log.info("locked card %s tried (call %s)", request.card_number, request.call_uuid or "-")
            return CardAuthReply(result=AuthResult.AUTH_RESULT_LOCKED)
        except errors.WrongPin:
            info = await self._billing.card_info(request.card_number)
            return CardAuthReply(
                result=AuthResult.AUTH_RESULT_WRONG_PIN, attempts_left=info["pin_attempts_left"]
            )
        return CardAuthReply(
            result=AuthResult.AUTH_RESULT_OK,
            account_id=ok.account_id,
            patient_id=ok.patient_id,
            vip_level=ok.vip_level,
            balance_fen=ok.balance_fen,
            attempts_left=self._billing.settings.max_pin_attempts,
        )


class TariffHandler:
    def __init__(self, billing: Billing) -> None:
        self._billing = billing

    async def __call__(self, request: TariffRequest) -> TariffReply:
        tariff = await self._billing.tariff(
            request.service, request.category or "*", lang=request.lang or "zh"
        )
        return TariffReply(price_fen=tariff["price_fen"], rounding=tariff["rounding"], text=tariff["text"])


async def start(bus: Bus, billing: Billing) -> None:
    await bus.serve(subjects.BILLING_CARD_AUTH, CardAuthHandler(billing), request_type=CardAuthRequest)
    await bus.serve(subjects.BILLING_TARIFF, TariffHandler(billing), request_type=TariffRequest)

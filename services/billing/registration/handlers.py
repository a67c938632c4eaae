"""The IVR's formal registration over NATS (R-REG4): BILLING_REGISTER, RegistrationRequest ->
RegistrationReply. A quote first (the fee the caller hears and confirms), then the booking with the same
idempotency key on every retry. Refusals are answers (ok=false + machine reason), never bus errors."""

from __future__ import annotations

from careline import subjects
from careline.billing import errors, rating
from careline.billing.registration.saga import RegistrationRequest, Registrations
from careline.billing.registration.seats import SeatRefused, SeatUnavailable
from careline.core.bus import Bus
from careline.v1.billing_pb2 import RegistrationReply
from careline.v1.billing_pb2 import RegistrationRequest as RegistrationMsg


def reason_of(err: errors.DomainError) -> str:
    if isinstance(err, SeatRefused):
        return err.code
    for cls, reason in (
        (errors.UnknownCard, "unknown_card"),
        (errors.WrongPin, "wrong_pin"),
        (errors.CardLocked, "locked"),
        (errors.InsufficientFunds, "insufficient_funds"),
        (SeatUnavailable, "unavailable"),
        (errors.Conflict, "conflict"),
    ):
        if isinstance(err, cls):
            return reason
    return {402: "insufficient_funds", 503: "unavailable", 409: "conflict"}.get(err.status_code, "invalid")


class RegisterHandler:
    def __init__(self, registrations: Registrations) -> None:
        self._regs = registrations

    async def __call__(self, msg: RegistrationMsg) -> RegistrationReply:
        try:
            if msg.quote_only:
                quote = await self._regs.quote(
                    msg.card_number, msg.pin, msg.department_code, lang=msg.lang or "zh"
                )
                return RegistrationReply(
                    ok=True, fee_fen=quote["fee_fen"], balance_fen=quote["balance_fen"], text=quote["text"]
                )
            body = await self._regs.register(
                RegistrationRequest(
                    idempotency_key=msg.idempotency_key,
                    card_number=msg.card_number,
                    pin=msg.pin,
                    department_code=msg.department_code,
                    slot_id=msg.slot_id,
                    day=msg.day,
                    start=msg.start,
                    expert_number=msg.expert_number,
                    call_uuid=msg.call_uuid,
                ),
                channel="ivr",
            )
        except errors.WrongPin as err:
            info = await self._regs.billing.card_info(msg.card_number)
            return RegistrationReply(
                ok=False, reason="wrong_pin", detail=err.reason, attempts_left=info["pin_attempts_left"]
            )
        except errors.DomainError as err:
            return RegistrationReply(ok=False, reason=reason_of(err), detail=err.reason)
        balance = (await self._regs.billing.card_info(msg.card_number))["balance_fen"]
        starts = body["starts_at"]
        return RegistrationReply(
            ok=True,
            registration_id=body["id"],
            fee_fen=body["fee_fen"],
            balance_fen=balance,
            confirmation_code=body["confirmation_code"],
            department_name=body["department_name"],
            expert_name=body["expert_name"],
            starts_epoch=int(starts.timestamp()) if starts else 0,
            text=_read_back(body, self._regs),
        )


def _read_back(body: dict, regs: Registrations) -> str:
    starts = body["starts_at"]
    when = starts.astimezone(regs.zone) if starts else None
    at = f"{when.month}月{when.day}日{when:%H:%M}" if when else ""
    expert = f"{body['expert_name']}专家" if body["expert_name"] else ""
    return (
        f"您已挂号{at}{body['department_name']}{expert}，挂号费{rating.yuan(body['fee_fen'])}元已从就诊卡扣除，"
        f"确认码{' '.join(body['confirmation_code'])}。未就诊的挂号费将在当日结束后退回。"
    )


async def start(bus: Bus, registrations: Registrations) -> None:
    await bus.serve(subjects.BILLING_REGISTER, RegisterHandler(registrations), request_type=RegistrationMsg)

"""Paid consultations, the live side: authorisation with a FreeSWITCH backstop, metering over billing's
own ESL link, and final rating from CDRs (R-EXP1–R-EXP5; design §2, §3).

Billing never owns a call (design §3): the ACD does while it is bridged. Billing only
- sets ``sched_hangup +<allowed+grace> <caller> ALLOTTED_TIMEOUT`` at authorisation, and again from the
  expert's answer (talk time counts from there), so a billing outage never gives free minutes;
- plays the low-credit warning to the caller (``uuid_broadcast … aleg``), a side action;
- when the paid time is over, asks the owner to end the call (push ACD_CALL_END_REQUEST); if nobody
  does, the backstop ends it ``grace`` seconds later.

The ESL subscription is one filter on ``variable_careline_call_id`` (set by the IVR on the caller leg and
by the ACD on the expert leg it originates): only careline calls reach billing, and the handler ignores
calls it has not authorised. Meters live in the replica that authorised; if it dies the backstop still
ends the call and the CDR (consumed durably from CDRS by any replica) settles it.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field

from careline import subjects
from careline.billing import errors, rating
from careline.billing.authorisation import Authorisation, Consultations
from careline.billing.settings import BillingSettings
from careline.core.bus import AlreadyProcessed, Bus, new_meta
from careline.v1.cdr_pb2 import Cdr
from careline.v1.consultation_pb2 import CallEndRequest, ConsultationAuthReply, ConsultationAuthRequest

log = logging.getLogger("careline.billing.metering")

METERED_EVENTS = ("CHANNEL_ANSWER", "CHANNEL_BRIDGE", "CHANNEL_HANGUP")
CALL_ID_VAR = "variable_careline_call_id"
LEG_KIND_VAR = "variable_careline_leg"
# Legs that carry the call's id but are not the expert's: a supervisor listening, a consult or three-way
# leg, a conference seat. Their answer does not start the meter and their hangup does not stop it.
NOT_THE_EXPERT = frozenset({"eavesdrop", "consult", "conference", "callback", "outbound"})
CDR_DURABLE = "billing-consultations"


class BackstopNotSet(errors.DomainError):
    """FreeSWITCH refused or could not be reached for the sched_hangup: no authorisation then."""

    status_code = 503


@dataclass
class Meter:
    """One authorised call being watched."""

    auth: Authorisation
    started: bool = False
    task: asyncio.Task | None = None
    events: list[str] = field(default_factory=list)  # what was done, for logs and tests


class ConsultationDesk:
    """Authorise (domain hold + switch backstop) and meter calls; one per billing process."""

    def __init__(
        self, consultations: Consultations, settings: BillingSettings, *, esl, bus: Bus | None
    ) -> None:
        self.consultations, self.settings, self.esl, self.bus = consultations, settings, esl, bus
        self.meters: dict[str, Meter] = {}
        self._cdr_consumer = None
        # Conference seats (R-EXP6) settle from presence; their CDRs go to the conference desk.
        self.seat_cdr = None

    # --- authorisation ------------------------------------------------------------------------------
    async def authorise(
        self,
        *,
        call_uuid: str,
        card_number: str,
        category: str = rating.ANY,
        lang: str = "zh",
        service: str = rating.EXPERT_CONSULTATION,
        conference: str = "",
    ) -> Authorisation:
        auth = await self.consultations.authorise(
            call_uuid=call_uuid,
            card_number=card_number,
            category=category,
            lang=lang,
            service=service,
            conference=conference,
        )
        if await self.consultations.is_settled(call_uuid):
            return auth  # a replay after the call ended: nothing to watch
        try:
            await self._backstop(call_uuid, auth.allowed_seconds)
        except Exception as err:
            # No backstop, no paid minutes: give the hold back at once (R-EXP3, design §3).
            await self.consultations.settle(call_uuid, billsec=0, cdr_uuid="backstop-not-set")
            raise BackstopNotSet(f"the switch did not take the backstop for {call_uuid}: {err}") from err
        if service == rating.EXPERT_CONSULTATION:  # conference seats are metered by presence
            self.meters.setdefault(call_uuid, Meter(auth))
        return auth

    async def _backstop(self, call_uuid: str, allowed: int) -> None:
        if self.esl is None:
            raise errors.DomainError("billing has no ESL link")
        seconds = allowed + self.settings.consultation_grace_s
        # FreeSWITCH's sched_hangup ADDS a task (grouped by the uuid) rather than replacing one, and the
        # earliest fires: re-arming at the expert's answer to a later moment must first drop the old one.
        await self.esl.api(f"sched_del {call_uuid}")
        reply = await self.esl.api(f"sched_hangup +{seconds} {call_uuid} ALLOTTED_TIMEOUT")
        if not reply.startswith("+OK"):
            raise errors.DomainError(reply.strip())

    # --- ESL events ---------------------------------------------------------------------------------
    def subscribe(self) -> None:
        self.esl.subscribe(METERED_EVENTS, self.on_event, filters={CALL_ID_VAR: ["/.+/"]})

    def on_event(self, event) -> None:
        call_id = event.get(CALL_ID_VAR) or ""
        meter = self.meters.get(call_id)
        if meter is None:
            return
        leg = event.get("Unique-ID") or ""
        if leg != call_id and (event.get(LEG_KIND_VAR) or "") in NOT_THE_EXPERT:
            return
        expert_leg = leg != call_id
        if event.name == "CHANNEL_HANGUP":
            self._stop(call_id)
        elif expert_leg and not meter.started and event.name in ("CHANNEL_ANSWER", "CHANNEL_BRIDGE"):
            # R-EXP3: talk time starts when the expert answers, not before.
            meter.started = True
            meter.task = asyncio.create_task(self._run(meter), name=f"meter:{call_id}")

    def _stop(self, call_id: str) -> None:
        meter = self.meters.pop(call_id, None)
        if meter is not None and meter.task is not None:
            meter.task.cancel()

    async def _run(self, meter: Meter) -> None:
        """From the expert's answer: re-arm the backstop, debit each minute, warn, then ask for the end."""
        auth, s = meter.auth, self.settings
        call = auth.call_uuid
        loop = asyncio.get_running_loop()
        t0 = loop.time()

        async def until(billed_seconds: float) -> None:
            await asyncio.sleep(max(0.0, t0 + billed_seconds * s.time_scale - loop.time()))

        try:
            await self._backstop(call, auth.allowed_seconds)
        except Exception:
            log.warning("backstop not re-armed at answer for %s; the authorisation's one stands", call)
        steps: list[tuple[float, str, int]] = [(auth.allowed_seconds, "end", 0)]
        if not auth.free:
            period = s.interim_debit_period_s
            minutes = auth.allowed_seconds // period
            steps += [(k * period, "debit", k) for k in range(1, minutes + 1)]
            if auth.allowed_seconds > s.consultation_warning_s > 0:
                steps.append((auth.allowed_seconds - s.consultation_warning_s, "warn", 0))
        for at, what, minute in sorted(steps, key=lambda step: (step[0], step[1] != "warn")):
            await until(at)
            try:
                if what == "debit":
                    await self.consultations.debit_minute(call, minute)
                elif what == "warn":
                    await self.esl.api(f"uuid_broadcast {call} {s.warning_prompt} aleg")
                else:
                    await self._ask_owner_to_end(call)
                meter.events.append(what)
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("metering step %s failed for %s (the backstop still stands)", what, call)

    async def _ask_owner_to_end(self, call: str) -> None:
        if self.bus is None:
            return
        request = CallEndRequest(
            meta=new_meta(call, producer="billing"),
            call_uuid=call,
            reason="credit_exhausted",
            requester="billing",
        )
        await self.bus.notify(subjects.ACD_CALL_END_REQUEST, request)

    # --- CDRs (final rating) ------------------------------------------------------------------------
    async def on_cdr(self, cdr: Cdr) -> None:
        """Settle from the expert leg's CDR; a caller leg that never reached an expert releases the hold.
        Idempotent: the settlement's key is the call's; a different CDR for a settled call is a duplicate."""
        call = cdr.meta.call_uuid or cdr.uuid
        try:
            auth = await self.consultations.get(call)
        except errors.NotFound:
            return  # not a paid consultation
        if auth.service != rating.EXPERT_CONSULTATION:
            if self.seat_cdr is not None:
                await self.seat_cdr(auth, cdr)
            return
        if cdr.uuid != call and not cdr.answer_epoch:
            return  # an expert phone that rang and was not answered: the caller may reach another
        if cdr.uuid != call and not cdr.agent_id:
            return  # a leg linked to the call that no expert answered (a supervisor's eavesdrop)
        if cdr.uuid == call and cdr.other_leg_uuid:
            return  # the caller leg of a bridged call: the expert leg's CDR carries the talk time
        billsec = int(cdr.billsec) if cdr.uuid != call else 0
        try:
            await self.consultations.settle(
                auth.call_uuid,
                billsec=billsec,
                cdr_uuid=cdr.uuid,
                expert=cdr.agent_id,
                answered_at=cdr.answer_epoch,
            )
        except errors.IdempotencyMismatch as err:
            raise AlreadyProcessed(str(err)) from err
        self._stop(call)

    # --- NATS ---------------------------------------------------------------------------------------
    async def on_auth_request(self, request: ConsultationAuthRequest) -> ConsultationAuthReply:
        try:
            auth = await self.authorise(
                call_uuid=request.call_uuid,
                card_number=request.card_number,
                category=request.category or rating.ANY,
                lang=request.lang or "zh",
            )
        except errors.DomainError as err:  # unknown card, locked, no funds, no backstop: an answer
            return ConsultationAuthReply(ok=False, reason=err.reason)
        return ConsultationAuthReply(
            ok=True,
            allowed_seconds=auth.allowed_seconds,
            hold_fen=auth.hold_fen,
            price_fen=auth.price_fen,
            rounding=auth.rounding,
            tariff_text=auth.tariff_text,
            free=auth.free,
        )

    async def start(self) -> None:
        if self.esl is not None:
            self.subscribe()
        if self.bus is not None:
            await self.bus.serve(
                subjects.BILLING_CONSULTATION_AUTH, self.on_auth_request, request_type=ConsultationAuthRequest
            )
            await self.bus.ensure_streams([s for s in subjects.STREAMS if s.name == subjects.CDRS])
            self._cdr_consumer = await self.bus.consume(
                subjects.CDRS, CDR_DURABLE, subjects.CDR_CREATED, self.on_cdr, msg_type=Cdr
            )

    async def stop(self) -> None:
        for call in list(self.meters):
            self._stop(call)
        consumer, self._cdr_consumer = self._cdr_consumer, None
        if consumer is not None:
            await consumer.stop()

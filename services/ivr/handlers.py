"""The IVR's wires (design §1, §3, §4): FreeSWITCH's outbound socket in, NATS out.

- outbound socket call → :meth:`IvrFlow.handle` (one session per call);
- caller look-up → request ``careline.crm.caller.lookup`` (CallerLookupRequest/Reply), short timeout;
- hand-over → request ``careline.acd.enqueue`` (EnqueueRequest/Reply);
- ownership → KV bucket ``call_owner``: create ``ivr``; the ACD moves it to ``acd`` with a CAS;
- a flow's look-up node → request on its subject with the careline.v1 messages it names
  (:class:`NatsServices`).
Every adapter turns failure into the flow's safe answer (unknown caller, not accepted), so a broken
neighbour never leaves a caller in silence.
"""

from __future__ import annotations

import importlib
import logging
import pkgutil

from google.protobuf import json_format, symbol_database
from google.protobuf.descriptor import FieldDescriptor
from google.protobuf.message import Message

import careline.v1
from careline import subjects
from careline.core.bus import Bus, BusError, Conflict, new_meta
from careline.ivr.engine import LookupFailed
from careline.ivr.flow import Caller, HandOver, HandOverReply
from careline.v1.acd_pb2 import EnqueueReply, EnqueueRequest
from careline.v1.call_pb2 import PlaybackFailed
from careline.v1.crm_pb2 import (
    CallerLookupReply,
    CallerLookupRequest,
    PatientLanguageSetReply,
    PatientLanguageSetRequest,
)

log = logging.getLogger("careline.ivr.handlers")

OWNER_IVR = b"ivr"


class CrmDirectory:
    def __init__(self, bus: Bus, timeout_s: float) -> None:
        self.bus, self.timeout_s = bus, timeout_s

    async def lookup(self, number: str) -> Caller:
        if not number:
            return Caller()
        try:
            reply = await self.bus.request(
                subjects.CRM_CALLER_LOOKUP,
                CallerLookupRequest(number=number),
                reply_type=CallerLookupReply,
                timeout=self.timeout_s,
            )
        except (BusError, TimeoutError, OSError) as err:
            log.info("caller look-up unavailable (%s); caller treated as unknown", type(err).__name__)
            return Caller()
        except Exception:  # never block the call on the CRM
            log.warning("caller look-up failed; caller treated as unknown", exc_info=True)
            return Caller()
        if not reply.found:
            return Caller()
        data = {
            "patient_id": reply.patient_id,
            "full_name": reply.full_name,
            "card_number": reply.card_number,
            "id_number_masked": reply.id_number_masked,
            "vip_level": reply.vip_level,
            "language": reply.language,
        }
        return Caller(found=True, vip=reply.vip, data={k: v for k, v in data.items() if v})


class CrmLanguages:
    """Keeps a known caller's language choice in the CRM (issue 8); failures are logged, never raised
    into the call (the caller goes on in the language they chose)."""

    def __init__(self, bus: Bus, timeout_s: float) -> None:
        self.bus, self.timeout_s = bus, timeout_s

    async def remember(self, patient_id: str, language: str, call_uuid: str) -> None:
        try:
            reply = await self.bus.request(
                subjects.CRM_PATIENT_LANGUAGE_SET,
                PatientLanguageSetRequest(patient_id=patient_id, language=language, call_uuid=call_uuid),
                reply_type=PatientLanguageSetReply,
                timeout=self.timeout_s,
            )
        except (BusError, TimeoutError, OSError) as err:
            log.warning("could not keep the caller's language %s: %s", language, type(err).__name__)
            return
        if not reply.ok:
            log.warning("the CRM did not keep the caller's language %s: %s", language, reply.reason)


class PlaybackFailures:
    """``careline.ivr.playback.failed`` (a push): operators see prompts the switch could not play."""

    def __init__(self, bus: Bus) -> None:
        self.bus = bus

    async def publish(self, report) -> None:
        message = PlaybackFailed(
            meta=new_meta(report.call_uuid, producer="ivr"),
            call_uuid=report.call_uuid,
            media=report.media[:1000],
            detail=report.detail,
            attempt=report.attempt,
            flow=report.flow,
            node=report.node,
            language=report.language,
        )
        try:
            await self.bus.notify(subjects.IVR_PLAYBACK_FAILED, message)
        except Exception:  # the event is a signal; the call must not wait on it
            log.warning("could not publish a playback failure", exc_info=True)


class AcdQueue:
    def __init__(self, bus: Bus, timeout_s: float) -> None:
        self.bus, self.timeout_s = bus, timeout_s

    async def hand_over(self, request: HandOver) -> HandOverReply:
        message = EnqueueRequest(
            meta=new_meta(request.call_uuid, producer="ivr"),
            call_uuid=request.call_uuid,
            caller_number=request.caller_number,
            queue=request.queue,
            vip=request.vip,
            priority=request.priority,
            skills=list(request.skills),
            call_data={**request.call_data, "ivr_reason": request.reason},
        )
        try:
            reply = await self.bus.request(
                subjects.ACD_ENQUEUE, message, reply_type=EnqueueReply, timeout=self.timeout_s
            )
        except (BusError, TimeoutError, OSError) as err:
            log.warning("ACD did not answer the hand-over: %s", err)
            return HandOverReply(False, "acd_unavailable")
        return HandOverReply(reply.accepted, reply.reason, reply.position)


class KvOwnership:
    """``call_owner`` (design §3). Any failure here refuses the call to nobody: see :meth:`claim`."""

    def __init__(self, bus: Bus) -> None:
        self.bus = bus

    async def _kv(self):
        spec = next((b for b in subjects.BUCKETS if b.name == subjects.KV_CALL_OWNER), subjects.KV_CALL_OWNER)
        return await self.bus.kv(spec)

    async def claim(self, call_uuid: str) -> bool:
        kv = await self._kv()
        try:
            await kv.create(call_uuid, OWNER_IVR)
            return True
        except Conflict:
            entry = await kv.get(call_uuid)  # a re-delivered socket for a call we already own
            return entry is not None and entry.value == OWNER_IVR

    async def owner(self, call_uuid: str) -> str | None:
        try:
            entry = await (await self._kv()).get(call_uuid)
        except Exception:
            log.warning("ownership read failed", exc_info=True)
            return None
        return entry.value.decode() if entry and entry.value else None

    async def forget(self, call_uuid: str) -> None:
        kv = await self._kv()
        entry = await kv.get(call_uuid)
        if entry is not None and entry.value == OWNER_IVR:
            try:
                await kv.delete(call_uuid, revision=entry.revision)
            except Conflict:
                pass  # the ACD took it meanwhile: its to forget


def message_class(full_name: str) -> type[Message]:
    """A careline.v1 message class by its full name (``careline.v1.CallerLookupRequest``)."""
    for module in pkgutil.iter_modules(careline.v1.__path__):
        if module.name.endswith("_pb2"):
            importlib.import_module(f"careline.v1.{module.name}")
    try:
        return symbol_database.Default().GetSymbol(full_name)
    except KeyError as err:
        raise LookupError(f"unknown message type {full_name}") from err


class NatsServices:
    """Look-up nodes (R-IVR2): fields in, reply fields out as strings; any failure is LookupFailed."""

    def __init__(self, bus: Bus) -> None:
        self.bus = bus

    async def lookup(
        self, subject: str, request_type: str, fields: dict[str, str], reply_type: str, timeout_s: float
    ) -> dict[str, str]:
        try:
            message = message_class(request_type)()
            request = json_format.ParseDict(
                typed_fields(fields, message.DESCRIPTOR), message, ignore_unknown_fields=False
            )
            reply = await self.bus.request(
                subject, request, reply_type=message_class(reply_type), timeout=timeout_s
            )
        except (BusError, TimeoutError, OSError, LookupError, json_format.ParseError) as err:
            raise LookupFailed(f"{type(err).__name__}: {err}") from err
        values = json_format.MessageToDict(
            reply, preserving_proto_field_name=True, always_print_fields_with_no_presence=True
        )
        return {key: _text(value) for key, value in values.items()}


_INTEGERS = {
    FieldDescriptor.TYPE_INT32,
    FieldDescriptor.TYPE_INT64,
    FieldDescriptor.TYPE_UINT32,
    FieldDescriptor.TYPE_UINT64,
    FieldDescriptor.TYPE_SINT32,
    FieldDescriptor.TYPE_SINT64,
}


def typed_fields(fields: dict[str, str], descriptor) -> dict[str, object]:
    """Flow templates are text: a bool field takes "true"/"false" (JSON wants them unquoted) and an
    empty number field is left out (the proto default), so ``quote_only: "true"`` works as data."""
    typed: dict[str, object] = {}
    for name, value in fields.items():
        field = descriptor.fields_by_name.get(name)
        if field is not None and field.type == FieldDescriptor.TYPE_BOOL and value in ("true", "false"):
            typed[name] = value == "true"
        elif field is not None and field.type in _INTEGERS and value == "":
            continue
        else:
            typed[name] = value
    return typed


def _text(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return "" if isinstance(value, dict | list) else str(value)

"""Bus subjects the CRM answers, mapped to domain calls (design §1, §4).

subject (careline.subjects) -> message -> domain call:

- CRM_CALLER_LOOKUP: CallerLookupRequest -> CallerLookupReply; domain.lookup_caller
- CRM_APPOINTMENT_BOOK: AppointmentBookRequest -> AppointmentReply; appointments.book_by_card
- CRM_APPOINTMENT_CANCEL: AppointmentCancelRequest -> AppointmentReply; appointments.cancel
- CRM_APPOINTMENT_READBACK: AppointmentReadBackRequest -> AppointmentReply; appointments.next_for_card
- CRM_INFO_LOOKUP: InfoLookupRequest -> InfoLookupReply; info.look_up
- CDR_CREATED (stream CDRS, durable settings.cdr_durable): Cdr; history.record_cdr (idempotent by leg
  uuid: a repeated fact is AlreadyProcessed, acked)
- CRM_COMPLAINT_FILE: ComplaintFileRequest -> ComplaintFileReply; complaints.file_complaint (a
  repeated request for the same call and codes answers the complaint already filed)

Look-ups only read, so a repeated request is trivially idempotent; cancel is idempotent by state.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from pydantic import ValidationError
from sqlalchemy.ext.asyncio import AsyncSession

from careline import subjects
from careline.core.bus import Bus
from careline.core.web import DomainError, NotFound
from careline.crm import complaints, domain, history, info, language
from careline.crm.handlers_appointments import AppointmentHandlers
from careline.crm.schemas_complaints import ComplaintIn
from careline.crm.settings import CrmSettings
from careline.v1.cdr_pb2 import Cdr
from careline.v1.crm_pb2 import (
    AppointmentBookRequest,
    AppointmentCancelRequest,
    AppointmentReadBackRequest,
    CallerLookupReply,
    CallerLookupRequest,
    ComplaintFileReply,
    ComplaintFileRequest,
    InfoLookupReply,
    InfoLookupRequest,
)

log = logging.getLogger("careline.crm")


def mask_id_number(id_number: str | None) -> str:
    """``110105********002X``: enough for an agent to confirm with the caller, not to copy."""
    if not id_number:
        return ""
    return id_number[:6] + "*" * (len(id_number) - 10) + id_number[-4:]


def lookup_reply(match: domain.CallerMatch) -> CallerLookupReply:
    patient = match.patient
    if patient is None:
        return CallerLookupReply(found=False)
    return CallerLookupReply(
        found=True,
        patient_id=patient.id,
        full_name=patient.name,
        # The contract has room for one card; the first registered is the patient's main card.
        card_number=patient.cards[0].card_number if patient.cards else "",
        id_number_masked=mask_id_number(patient.id_number),
        vip=patient.vip,
        vip_level=str(patient.vip_level) if patient.vip else "",
        language=patient.language or "",
    )


class CallerLookupHandler:
    """Answers caller-ID look-ups (R-CRM2, R-VIP2). An unusable number is "not found", not an error:
    anonymous and withheld caller IDs are normal traffic for the IVR."""

    def __init__(self, sessions: Callable[[], AsyncSession], default_area_code: str | None = None) -> None:
        self._sessions = sessions
        self._area = default_area_code

    async def __call__(self, request: CallerLookupRequest) -> CallerLookupReply:
        async with self._sessions() as session:
            try:
                match = await domain.lookup_caller(
                    request.number, session=session, default_area_code=self._area
                )
            except domain.InvalidPatient as err:
                log.info("caller look-up of unusable number %r: %s", request.number, err.reason)
                return CallerLookupReply(found=False)
            if match.note and match.found:
                log.info("caller look-up %s: %s", match.number, match.note)
            return lookup_reply(match)


class InfoLookupHandler:
    """Serves information content to the IVR by kind and number (R-INFO1); only reads."""

    def __init__(self, sessions: Callable[[], AsyncSession]) -> None:
        self._sessions = sessions

    async def __call__(self, request: InfoLookupRequest) -> InfoLookupReply:
        async with self._sessions() as session:
            answer = await info.look_up(request.kind, request.number, session=session)
        return InfoLookupReply(
            found=answer.found,
            reason=answer.reason,
            kind=answer.kind,
            number=answer.number,
            title=answer.title,
            text=answer.text,
            sponsor=answer.sponsor,
            numbers=answer.numbers,
        )


class ComplaintFileHandler:
    """Files a DTMF complaint (R-CMP1). Codes are checked against the directory; a wrong code is an
    answer (ok=false, reason) the IVR turns into "please key the code again", never a bus error."""

    def __init__(self, sessions: Callable[[], AsyncSession], settings: CrmSettings) -> None:
        self._sessions = sessions
        self._settings = settings

    async def __call__(self, request: ComplaintFileRequest) -> ComplaintFileReply:
        async with self._sessions() as session:
            if request.call_uuid:  # a retried request (lost reply) must not file a second complaint
                rows, _ = await complaints.list_complaints(session=session, call_uuid=request.call_uuid)
                for row in rows:
                    if (row.department.code if row.department else "") == request.department_code and (
                        row.staff.code if row.staff else ""
                    ) == request.staff_code:
                        return ComplaintFileReply(ok=True, complaint_id=row.id, reference=row.reference)
            try:
                data = ComplaintIn(
                    channel="dtmf",
                    department_code=request.department_code or None,
                    staff_code=request.staff_code or None,
                    caller_phone=request.caller_number,
                    call_uuid=request.call_uuid,
                    voice_message_path=request.voice_message_path,
                    recording_id=request.recording_id,
                )
                row = await complaints.file_complaint(
                    data,
                    session=session,
                    zone=self._settings.timezone,
                    due_days=self._settings.complaint_due_days,
                    default_area_code=self._settings.default_area_code,
                )
            except ValidationError as err:
                return ComplaintFileReply(ok=False, reason="invalid", detail=str(err.errors()[0]["msg"]))
            except DomainError as err:
                return ComplaintFileReply(ok=False, reason=_complaint_reason(err), detail=err.reason)
            return ComplaintFileReply(ok=True, complaint_id=row.id, reference=row.reference)


def _complaint_reason(err: DomainError) -> str:
    if isinstance(err, complaints.StaffNotInDepartment):
        return "staff_not_in_department"
    if isinstance(err, NotFound):
        return "staff_unknown" if "staff" in err.reason else "department_unknown"
    return "invalid"


CDR_STREAMS = tuple(spec for spec in subjects.STREAMS if spec.name == subjects.CDRS)


class CdrHandler:
    """Remembers every call leg for the callers' history (R-CRM1) and links complaints to it (R-CMP1)."""

    def __init__(self, sessions: Callable[[], AsyncSession], default_area_code: str | None) -> None:
        self._sessions = sessions
        self._area = default_area_code

    async def __call__(self, cdr: Cdr) -> None:
        async with self._sessions() as session:
            await history.record_cdr(cdr, session=session, default_area_code=self._area)


async def start(bus: Bus, sessions: Callable[[], AsyncSession], settings: CrmSettings) -> None:
    await bus.serve(
        subjects.CRM_CALLER_LOOKUP,
        CallerLookupHandler(sessions, settings.default_area_code),
        request_type=CallerLookupRequest,
    )
    booking = AppointmentHandlers(sessions, settings.timezone)
    await bus.serve(subjects.CRM_APPOINTMENT_BOOK, booking.book, request_type=AppointmentBookRequest)
    await bus.serve(subjects.CRM_APPOINTMENT_CANCEL, booking.cancel, request_type=AppointmentCancelRequest)
    await bus.serve(
        subjects.CRM_APPOINTMENT_READBACK, booking.read_back, request_type=AppointmentReadBackRequest
    )
    await bus.serve(subjects.CRM_INFO_LOOKUP, InfoLookupHandler(sessions), request_type=InfoLookupRequest)
    await language.serve(bus, sessions)
    await bus.serve(
        subjects.CRM_COMPLAINT_FILE,
        ComplaintFileHandler(sessions, settings),
        request_type=ComplaintFileRequest,
    )
    # Safe from every replica; the CDR service may start after us (design §4).
    await bus.ensure_streams(CDR_STREAMS)
    await bus.consume(
        subjects.CDRS,
        settings.cdr_durable,
        subjects.CDR_CREATED,
        CdrHandler(sessions, settings.default_area_code),
        msg_type=Cdr,
    )

"""Interaction history, notes, lost-card look-up and audit log over HTTP under /v1 (R-CRM1, R-HUM1)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request

from careline.crm import history
from careline.crm.api import NO_ID_NUMBER_IN_URL, Session, patient_out, refuse_id_number_in_url
from careline.crm.api_appointments import appointment_out
from careline.crm.api_complaints import complaint_out
from careline.crm.api_directory import Zone
from careline.crm.clock import utc
from careline.crm.models import Note
from careline.crm.schemas_history import (
    AuditOut,
    CallOut,
    HistoryOut,
    HistorySearch,
    LostCardIn,
    LostCardOut,
    NoteIn,
    NoteOut,
)

router = APIRouter(prefix="/v1", tags=["history"])


def note_out(note: Note) -> NoteOut:
    out = NoteOut.model_validate(note)
    out.created_at = utc(out.created_at)
    return out


async def _history(patient_id: str, session, zone: str) -> HistoryOut:
    found = await history.patient_history(patient_id, session=session)
    return HistoryOut(
        patient=patient_out(found.patient),
        calls=[
            CallOut(**(c | {"started_at": utc(c["started_at"]), "ended_at": utc(c["ended_at"])}))
            for c in found.calls
        ],
        appointments=[appointment_out(a, zone) for a in found.appointments],
        complaints=[complaint_out(c) for c in found.complaints],
        notes=[note_out(n) for n in found.notes],
    )


@router.get("/patients/{patient_id}/history", response_model=HistoryOut)
async def patient_history(patient_id: str, session: Session, zone: Zone) -> HistoryOut:
    return await _history(patient_id, session, zone)


@router.get("/history", response_model=HistoryOut, responses=NO_ID_NUMBER_IN_URL)
async def history_by_card(
    request: Request, session: Session, zone: Zone, card: str | None = None
) -> HistoryOut:
    """R-CRM1: by card number; by ID number only with ``POST /v1/history/search`` (issue 9 §8)."""
    refuse_id_number_in_url(request, "/v1/history/search")
    patient_id = await history.find_patient_id(session=session, id_number=None, card=card)
    return await _history(patient_id, session, zone)


@router.post("/history/search", response_model=HistoryOut)
async def history_by_id_or_card(body: HistorySearch, session: Session, zone: Zone) -> HistoryOut:
    """R-CRM1: by ID number or card number (exactly one), in the body so no URL carries an ID number."""
    patient_id = await history.find_patient_id(session=session, id_number=body.id_number, card=body.card)
    return await _history(patient_id, session, zone)


@router.post("/patients/{patient_id}/notes", status_code=201, response_model=NoteOut)
async def add_note(patient_id: str, body: NoteIn, session: Session) -> NoteOut:
    return note_out(
        await history.add_note(patient_id, body.author, body.text, body.call_uuid, session=session)
    )


@router.post("/cards/lookup", response_model=LostCardOut)
async def lost_card_lookup(body: LostCardIn, session: Session) -> LostCardOut:
    """R-HUM1: a caller forgot their card number; the agent finds it by ID number + name (audited)."""
    patient = await history.lost_card_lookup(body.id_number, body.name, body.actor, session=session)
    return LostCardOut(
        patient_id=patient.id, name=patient.name, card_numbers=[c.card_number for c in patient.cards]
    )


@router.get("/audit", response_model=list[AuditOut])
async def audit_log(
    session: Session,
    actor: str | None = None,
    action: str | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> list[AuditOut]:
    rows = await history.audit_log(session=session, actor=actor, action=action, limit=limit)
    return [AuditOut.model_validate(r).model_copy(update={"at": utc(r.at)}) for r in rows]

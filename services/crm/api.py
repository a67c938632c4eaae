"""CRM HTTP API under /v1 (R-CRM1, R-CRM2): thin routes over :mod:`careline.crm.domain`."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, Response
from sqlalchemy.ext.asyncio import AsyncSession

from careline.core.web import DomainError
from careline.crm import domain, language
from careline.crm.models import Patient
from careline.crm.schemas import (
    LookupOut,
    PatientCreate,
    PatientLanguage,
    PatientOut,
    PatientPage,
    PatientSearch,
    PatientUpdate,
    PhoneOut,
)

router = APIRouter(prefix="/v1", tags=["crm"])


async def _session(request: Request) -> AsyncIterator[AsyncSession]:
    async with request.app.state.runtime.sessions() as session:
        yield session


def _area_code(request: Request) -> str | None:
    return request.app.state.settings.default_area_code


Session = Annotated[AsyncSession, Depends(_session)]
AreaCode = Annotated[str | None, Depends(_area_code)]


def patient_out(patient: Patient) -> PatientOut:
    return PatientOut(
        id=patient.id,
        name=patient.name,
        id_number=patient.id_number,
        card_numbers=[c.card_number for c in patient.cards],
        phones=[PhoneOut.model_validate(p) for p in patient.phones],
        vip=patient.vip,
        vip_level=patient.vip_level,
        language=patient.language or "",
        created_at=patient.created_at,
        updated_at=patient.updated_at,
    )


@router.post("/patients", status_code=201, response_model=PatientOut)
async def create_patient(body: PatientCreate, session: Session, area: AreaCode) -> PatientOut:
    return patient_out(await domain.create_patient(body, session=session, default_area_code=area))


# An ID number in a URL ends up in access logs, proxies and browser history (issue 9 §8): it goes in a
# POST body (/v1/patients/search, /v1/history/search), and a URL carrying one is refused with this.
ID_NUMBER_IN_URL = "id_number is not accepted in a URL; send it in the body of POST {}"
NO_ID_NUMBER_IN_URL = {400: {"description": "the query string carries an id_number (use the POST search)"}}


def refuse_id_number_in_url(request: Request, search_route: str) -> None:
    if "id_number" in request.query_params:
        raise DomainError(ID_NUMBER_IN_URL.format(search_route), status_code=400)


@router.get("/patients", response_model=PatientPage, responses=NO_ID_NUMBER_IN_URL)
async def search_patients(
    request: Request,
    session: Session,
    area: AreaCode,
    phone: str | None = None,
    card: str | None = None,
    name: str | None = None,
    limit: Annotated[int, Query(ge=1, le=domain.MAX_PAGE)] = 50,
    offset: Annotated[int, Query(ge=0, le=domain.MAX_OFFSET)] = 0,
) -> PatientPage:
    """By phone, card or name; by ID number only with ``POST /v1/patients/search``."""
    refuse_id_number_in_url(request, "/v1/patients/search")
    # model_construct: the query keeps its own (looser) bounds; a failed model check here would be a 500
    search = PatientSearch.model_construct(
        phone=phone, id_number=None, card=card, name=name, limit=limit, offset=offset
    )
    return await _search(search, session, area)


@router.post("/patients/search", response_model=PatientPage)
async def search_patients_by_body(body: PatientSearch, session: Session, area: AreaCode) -> PatientPage:
    """Patients matching every given criterion, the ID number among them (R-CRM1, issue 9 §8)."""
    return await _search(body, session, area)


async def _search(search: PatientSearch, session: AsyncSession, area: str | None) -> PatientPage:
    rows, total = await domain.search_patients(
        session=session,
        phone=search.phone,
        id_number=search.id_number,
        card=search.card,
        name=search.name,
        limit=search.limit,
        offset=search.offset,
        default_area_code=area,
    )
    return PatientPage(
        items=[patient_out(p) for p in rows], total=total, limit=search.limit, offset=search.offset
    )


@router.get("/patients/{patient_id}", response_model=PatientOut)
async def get_patient(patient_id: str, session: Session) -> PatientOut:
    return patient_out(await domain.get_patient(patient_id, session=session))


@router.patch("/patients/{patient_id}", response_model=PatientOut)
async def update_patient(
    patient_id: str, body: PatientUpdate, session: Session, area: AreaCode
) -> PatientOut:
    return patient_out(await domain.update_patient(patient_id, body, session=session, default_area_code=area))


@router.delete("/patients/{patient_id}", status_code=204)
async def delete_patient(patient_id: str, session: Session) -> Response:
    await domain.delete_patient(patient_id, session=session)
    return Response(status_code=204)


@router.get("/patients/{patient_id}/language", response_model=PatientLanguage)
async def get_language(patient_id: str, session: Session) -> PatientLanguage:
    """The language the IVR greets this patient in; "" means the flow's own (Mandarin) (issue 8)."""
    return PatientLanguage(language=(await domain.get_patient(patient_id, session=session)).language or "")


@router.put("/patients/{patient_id}/language", response_model=PatientLanguage)
async def put_language(patient_id: str, body: PatientLanguage, session: Session) -> PatientLanguage:
    """Set the patient's IVR language ("zh", "en"; "" forgets it): their next call starts in it."""
    return PatientLanguage(language=await language.set_language(patient_id, body.language, session=session))


@router.get("/lookup", response_model=LookupOut)
async def lookup(number: Annotated[str, Query(min_length=1)], session: Session, area: AreaCode) -> LookupOut:
    match = await domain.lookup_caller(number, session=session, default_area_code=area)
    return lookup_out(match)


def lookup_out(match: domain.CallerMatch) -> LookupOut:
    out = LookupOut(number=match.number, found=match.found, matches=match.matches, note=match.note)
    if match.patient is not None:
        out.patient_id = match.patient.id
        out.name = match.patient.name
        out.vip = match.patient.vip
        out.vip_level = match.patient.vip_level
        out.card_numbers = [c.card_number for c in match.patient.cards]
        out.language = match.patient.language or ""
    return out

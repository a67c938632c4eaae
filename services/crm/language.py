"""A patient's IVR language (issue 8, design §10): Mandarin first, English second, remembered per patient.

The IVR reads it in the caller look-up (``CallerLookupReply.language``) and keeps a choice made with the
main menu's language key over ``careline.crm.patient.language.set``; staff read and set it over HTTP
(``/v1/patients/{id}/language``).
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from sqlalchemy.ext.asyncio import AsyncSession

from careline import subjects
from careline.core.bus import Bus
from careline.crm import domain
from careline.v1.crm_pb2 import PatientLanguageSetReply, PatientLanguageSetRequest

log = logging.getLogger("careline.crm.language")

LANGUAGES = ("zh", "en")


class UnknownLanguage(ValueError):
    pass


async def set_language(patient_id: str, language: str, *, session: AsyncSession) -> str:
    """Store ``language`` ("zh", "en", or "" to forget it); PatientNotFound, UnknownLanguage."""
    if language not in (*LANGUAGES, ""):
        raise UnknownLanguage(f"unknown language {language!r}; known: {', '.join(LANGUAGES)}")
    patient = await domain.get_patient(patient_id, session=session)
    patient.language = language
    await session.commit()
    return language


class LanguageSetHandler:
    def __init__(self, sessions: Callable[[], AsyncSession]) -> None:
        self._sessions = sessions

    async def __call__(self, request: PatientLanguageSetRequest) -> PatientLanguageSetReply:
        if request.language not in LANGUAGES:
            return PatientLanguageSetReply(ok=False, reason="language_unknown")
        async with self._sessions() as session:
            try:
                await set_language(request.patient_id, request.language, session=session)
            except domain.PatientNotFound:
                return PatientLanguageSetReply(ok=False, reason="patient_unknown")
        log.info("patient %s chose %s on call %s", request.patient_id, request.language, request.call_uuid)
        return PatientLanguageSetReply(ok=True)


async def serve(bus: Bus, sessions: Callable[[], AsyncSession]) -> None:
    handler = LanguageSetHandler(sessions)
    await bus.serve(subjects.CRM_PATIENT_LANGUAGE_SET, handler, request_type=PatientLanguageSetRequest)

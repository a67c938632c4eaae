"""CDR HTTP API under /v1 (R-CDR1): search, one leg, CSV export (thin over :mod:`careline.cdr.domain`), and
the intake of FreeSWITCH's mod_json_cdr posts (issue 15)."""

from __future__ import annotations

import base64
import binascii
import csv
import datetime as dt
import hmac
import io
from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Query, Request
from fastapi.responses import StreamingResponse
from sqlalchemy.ext.asyncio import AsyncSession

from careline.cdr import domain, json_cdr
from careline.cdr.schemas import CSV_COLUMNS, CdrOut, CdrPageOut

router = APIRouter(prefix="/v1", tags=["cdr"])


async def _session(request: Request) -> AsyncIterator[AsyncSession]:
    async with request.app.state.runtime.sessions() as session:
        yield session


def _query(
    start_from: Annotated[
        dt.datetime | None,
        Query(alias="from", description="legs that started at or after (ISO 8601; naive = UTC)"),
    ] = None,
    start_to: Annotated[dt.datetime | None, Query(alias="to", description="legs that started before")] = None,
    number: Annotated[str | None, Query(description="caller or destination number")] = None,
    queue: str | None = None,
    agent: str | None = None,
    call_id: Annotated[str | None, Query(description="every leg of one call")] = None,
) -> domain.CdrQuery:
    return domain.CdrQuery(start_from, start_to, number, queue, agent, call_id)


Session = Annotated[AsyncSession, Depends(_session)]
Filters = Annotated[domain.CdrQuery, Depends(_query)]


@router.get("/cdrs", response_model=CdrPageOut)
async def list_cdrs(
    session: Session,
    filters: Filters,
    limit: Annotated[int, Query(ge=1, le=domain.MAX_LIMIT)] = 50,
    cursor: Annotated[str | None, Query(description="next_cursor of the previous page")] = None,
    offset: Annotated[int, Query(ge=0, le=domain.MAX_OFFSET)] = 0,
) -> CdrPageOut:
    page = await domain.list_cdrs(filters, session=session, limit=limit, cursor=cursor, offset=offset)
    return CdrPageOut(
        items=[CdrOut.of(row) for row in page.items],
        total=page.total,
        limit=page.limit,
        offset=page.offset,
        next_cursor=page.next_cursor,
    )


@router.get("/cdrs.csv", response_class=StreamingResponse)
async def export_cdrs(request: Request, filters: Filters) -> StreamingResponse:
    """Every matching leg, newest first, streamed as CSV with a header row."""
    sessions = request.app.state.runtime.sessions

    async def lines() -> AsyncIterator[str]:
        yield _csv_line(CSV_COLUMNS)
        async for row in domain.iter_cdrs(filters, sessions=sessions):
            out = CdrOut.of(row).model_dump(mode="json")
            yield _csv_line(["" if out[c] is None else out[c] for c in CSV_COLUMNS])

    headers = {"Content-Disposition": 'attachment; filename="cdrs.csv"'}
    return StreamingResponse(lines(), media_type="text/csv; charset=utf-8", headers=headers)


@router.post(
    "/intake/json-cdr",
    status_code=202,
    responses={
        400: {"description": "not a mod_json_cdr document"},
        401: {"description": "wrong or missing credentials (json_cdr_credentials)"},
        503: {"description": "the leg could not be made durable now: FreeSWITCH retries, then spools it"},
    },
)
async def take_json_cdr(request: Request) -> dict:
    """FreeSWITCH's mod_json_cdr posts each leg here (issue 15, docs/adr/0002): accepted (202) only once
    the leg is on the CDR_INTAKE stream, so an error makes mod_json_cdr retry and finally spool it to its
    err-log-dir, which ``careline cdr import`` re-ingests. A leg already taken (the ESL copy) is success."""
    _check_credentials(request)
    try:
        headers = json_cdr.headers_of(
            json_cdr.load(await request.body(), request.headers.get("content-type", "")),
            url_encoded_values=request.app.state.settings.json_cdr_encoded_values,
        )
    except json_cdr.JsonCdrError as err:
        raise HTTPException(400, str(err)) from None
    try:
        new = await request.app.state.cdr_intake.put(headers)
    except Exception as err:  # NATS away: say so, FreeSWITCH keeps the leg
        raise HTTPException(503, f"intake unavailable: {type(err).__name__}") from None
    return {"uuid": headers["Unique-ID"], "duplicate": not new}


def _check_credentials(request: Request) -> None:
    expected = request.app.state.settings.json_cdr_credentials
    if not expected:
        return
    given = request.headers.get("authorization", "")
    scheme, _, token = given.partition(" ")
    try:
        supplied = base64.b64decode(token).decode() if scheme.lower() == "basic" else ""
    except (binascii.Error, UnicodeDecodeError):
        supplied = ""
    if not hmac.compare_digest(supplied.encode(), expected.encode()):
        raise HTTPException(401, "json_cdr credentials required", headers={"WWW-Authenticate": "Basic"})


@router.get("/cdrs/{uuid}", response_model=CdrOut)
async def get_cdr(uuid: str, session: Session) -> CdrOut:
    return CdrOut.of(await domain.get_cdr(uuid, session=session))


# A spreadsheet runs a cell that starts with one of these as a formula (``=cmd|' /C calc'!A0``), and caller
# numbers, names and call data come from SIP, so anyone can set them (issue 9 §7, R-CDR1). OWASP's rule:
# such a text cell gets a leading single quote, which the spreadsheet shows as text and does not run.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def neutralise_cell(value):
    """The cell as a spreadsheet must see it: text that could start a formula is quoted; numbers stay."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def _csv_line(values) -> str:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\r\n").writerow([neutralise_cell(v) for v in values])
    return buffer.getvalue()

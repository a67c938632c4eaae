"""Flow management under /v1/flows (R-IVR4, R-ADM4): create, version, validate, publish, roll back, and
bind dialled numbers. A published version applies to the next call at once; calls in progress keep
theirs (design §3). Invalid flows get 422 with every problem named."""

from __future__ import annotations

from fastapi import APIRouter, Request

from careline.ivr.flowdef import FlowDefinition, flow_schema
from careline.ivr.schemas import (
    FlowCreate,
    FlowInfo,
    Numbers,
    Publish,
    Validation,
    VersionCreate,
    VersionCreated,
)
from careline.ivr.store import FlowStore

router = APIRouter(prefix="/v1/flows", tags=["flows"])


def _store(request: Request) -> FlowStore:
    return request.app.state.flows


@router.get("/schema", summary="The JSON Schema of a flow definition (docs/ivr/flow.schema.json)")
async def schema() -> dict:
    return flow_schema()


@router.post("/validate", response_model=Validation, summary="Check a definition without storing it")
async def check(definition: FlowDefinition, request: Request) -> Validation:
    store = _store(request)
    async with store.sessions() as session:
        problems = await store.problems(definition, session=session)
    return Validation(valid=not problems, problems=problems)


@router.get("", response_model=list[str])
async def names(request: Request) -> list[str]:
    return await _store(request).names()


@router.post("", response_model=FlowInfo, status_code=201, summary="Create a flow (version 1, unpublished)")
async def create(body: FlowCreate, request: Request) -> dict:
    return await _store(request).create(
        body.name, body.definition, description=body.description, numbers=body.numbers
    )


@router.get("/{name}", response_model=FlowInfo)
async def describe(name: str, request: Request) -> dict:
    return await _store(request).describe(name)


@router.post("/{name}/versions", response_model=VersionCreated, status_code=201)
async def add_version(name: str, body: VersionCreate, request: Request) -> VersionCreated:
    version = await _store(request).add_version(name, body.definition, body.comment)
    return VersionCreated(flow=name, version=version)


@router.get("/{name}/versions/{version}", response_model=FlowDefinition, response_model_by_alias=True)
async def get_version(name: str, version: int, request: Request) -> FlowDefinition:
    return await _store(request).version(name, version)


@router.post("/{name}/publish", response_model=FlowInfo, summary="New calls run this version from now on")
async def publish(name: str, body: Publish, request: Request) -> dict:
    return await _store(request).publish(name, body.version)


@router.post(
    "/{name}/rollback", response_model=FlowInfo, summary="Republish the previously published version"
)
async def rollback(name: str, request: Request) -> dict:
    return await _store(request).rollback(name)


@router.put("/{name}/numbers", response_model=FlowInfo, summary="The dialled numbers this flow answers")
async def set_numbers(name: str, body: Numbers, request: Request) -> dict:
    return await _store(request).set_numbers(name, body.numbers)

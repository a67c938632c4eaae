"""Prompts under /v1/prompts (R-IVR1, R-ADM4): TTS text per language, WAV uploads (checked), list,
delete (409 while a published flow uses the prompt)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Request, Response, UploadFile

from careline.ivr.prompts import PromptStore
from careline.ivr.schemas import PromptInfo, PromptText

router = APIRouter(prefix="/v1/prompts", tags=["prompts"])
Name = Annotated[str, Path(pattern=r"^[A-Za-z0-9_.-]{1,64}$")]
Language = Annotated[str, Path(pattern=r"^[a-z]{2}(-[A-Z]{2})?$")]


def _store(request: Request) -> PromptStore:
    return request.app.state.prompts


@router.get("", response_model=list[PromptInfo])
async def list_prompts(request: Request) -> list[dict]:
    return await _store(request).list()


@router.get("/{name}/{language}", response_model=PromptInfo)
async def get_prompt(name: Name, language: Language, request: Request) -> dict:
    return await _store(request).get(name, language)


@router.put("/{name}/{language}/text", response_model=PromptInfo, summary="Set the prompt's TTS text")
async def set_text(name: Name, language: Language, body: PromptText, request: Request) -> dict:
    return await _store(request).set_text(name, language, body.text)


@router.put(
    "/{name}/{language}/wav",
    response_model=PromptInfo,
    summary="Upload a recording (16-bit PCM mono WAV, 8/16/32/48 kHz, size-limited)",
)
async def upload(name: Name, language: Language, file: UploadFile, request: Request) -> dict:
    store = _store(request)
    data = await file.read(store.max_bytes + 1)  # one byte more than allowed tells "too big"
    return await store.upload(name, language, data)


@router.delete("/{name}", status_code=204, summary="Delete every language of a prompt")
async def delete_prompt(name: Name, request: Request) -> Response:
    await _store(request).delete(name)
    return Response(status_code=204)


@router.delete("/{name}/{language}", status_code=204)
async def delete_language(name: Name, language: Language, request: Request) -> Response:
    await _store(request).delete(name, language)
    return Response(status_code=204)

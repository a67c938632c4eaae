"""Prompts (R-IVR1, R-ADM4): TTS text per language, or an uploaded WAV FreeSWITCH can play.

An upload is checked before anything is stored: a RIFF/WAVE header, a ``fmt`` chunk with 16-bit PCM, mono,
at a telephony rate, a ``data`` chunk, and a size limit. The file is written next to its row's update
(temp file, then rename), so a failed upload leaves neither. A prompt a published flow uses cannot be
deleted (its calls would fall silent).
"""

from __future__ import annotations

import os
import struct
import time
from pathlib import Path

from sqlalchemy import select

from careline.core.web import Conflict, DomainError, NotFound
from careline.ivr.models import PromptRow
from careline.ivr.store import FlowStore

RATES = (8000, 16000, 32000, 48000)
PCM = 1


class BadWav(DomainError):
    status_code = 422


def check_wav(data: bytes, max_bytes: int) -> dict[str, int]:
    """The WAV's format, or BadWav naming what is wrong."""
    if len(data) > max_bytes:
        raise BadWav(f"file is {len(data)} bytes; the limit is {max_bytes}")
    if len(data) < 12 or data[:4] != b"RIFF" or data[8:12] != b"WAVE":
        raise BadWav("not a WAV file: no RIFF/WAVE header")
    fmt, has_data, offset = None, False, 12
    while offset + 8 <= len(data):
        chunk, size = data[offset : offset + 4], struct.unpack("<I", data[offset + 4 : offset + 8])[0]
        body = data[offset + 8 : offset + 8 + size]
        if chunk == b"fmt " and len(body) >= 16:
            tag, channels, rate, _, _, bits = struct.unpack("<HHIIHH", body[:16])
            fmt = {"format": tag, "channels": channels, "rate": rate, "bits": bits}
        elif chunk == b"data":
            has_data = size > 0 and len(body) > 0
        offset += 8 + size + (size & 1)
    if fmt is None:
        raise BadWav("WAV has no fmt chunk")
    if not has_data:
        raise BadWav("WAV has no audio (empty data chunk)")
    if fmt["format"] != PCM or fmt["bits"] != 16:
        raise BadWav(f"WAV must be 16-bit PCM (got format {fmt['format']}, {fmt['bits']} bits)")
    if fmt["channels"] != 1:
        raise BadWav(f"WAV must be mono (got {fmt['channels']} channels)")
    if fmt["rate"] not in RATES:
        raise BadWav(f"WAV sample rate must be one of {RATES} (got {fmt['rate']})")
    return fmt


class PromptStore:
    def __init__(self, flows: FlowStore, directory: Path, max_bytes: int) -> None:
        self.flows, self.directory, self.max_bytes = flows, directory, max_bytes

    async def list(self) -> list[dict]:
        used = await self.flows.published_prompt_names()
        async with self.flows.sessions() as session:
            rows = (
                await session.scalars(select(PromptRow).order_by(PromptRow.name, PromptRow.language))
            ).all()
            return [_info(row, row.name in used) for row in rows]

    async def set_text(self, name: str, language: str, text: str) -> dict:
        async with self.flows.sessions.begin() as session:
            row = await session.get(PromptRow, (name, language)) or PromptRow(name=name, language=language)
            old_path = row.path if row.kind == "wav" else ""
            row.kind, row.text, row.path, row.size, row.updated_us = "tts", text, "", 0, _now_us()
            session.add(row)
        _remove(old_path)
        return await self.get(name, language)

    async def upload(self, name: str, language: str, data: bytes) -> dict:
        check_wav(data, self.max_bytes)
        self.directory.mkdir(parents=True, exist_ok=True)
        path = (self.directory / f"{name}.{language}.wav").resolve()
        temp = path.with_suffix(f".{os.getpid()}.tmp")
        temp.write_bytes(data)
        try:
            async with self.flows.sessions.begin() as session:
                row = await session.get(PromptRow, (name, language)) or PromptRow(
                    name=name, language=language
                )
                row.kind, row.text, row.path, row.size = "wav", "", str(path), len(data)
                row.updated_us = _now_us()
                session.add(row)
                os.replace(temp, path)  # inside the transaction: a failed commit is retried by the admin
        finally:
            temp.unlink(missing_ok=True)
        return await self.get(name, language)

    async def get(self, name: str, language: str) -> dict:
        used = await self.flows.published_prompt_names()  # its own session: SQLite sessions do not nest
        async with self.flows.sessions() as session:
            row = await session.get(PromptRow, (name, language))
            if row is None:
                raise NotFound(f"no prompt {name} in {language}")
            return _info(row, name in used)

    async def delete(self, name: str, language: str | None = None) -> None:
        """Every language of ``name`` (or one); refused while a published flow says it."""
        if name in await self.flows.published_prompt_names():
            raise Conflict(f"prompt {name} is used by a published flow")
        async with self.flows.sessions.begin() as session:
            query = select(PromptRow).where(PromptRow.name == name)
            if language:
                query = query.where(PromptRow.language == language)
            rows = (await session.scalars(query)).all()
            if not rows:
                raise NotFound(f"no prompt {name}" + (f" in {language}" if language else ""))
            paths = [row.path for row in rows if row.kind == "wav"]
            for row in rows:
                await session.delete(row)
        for path in paths:
            _remove(path)


def _info(row: PromptRow, used: bool) -> dict:
    return {
        "name": row.name,
        "language": row.language,
        "kind": row.kind,
        "text": row.text,
        "path": row.path,
        "size": row.size,
        "in_published_flow": used,
    }


def _remove(path: str) -> None:
    if path:
        Path(path).unlink(missing_ok=True)


def _now_us() -> int:
    return time.time_ns() // 1000

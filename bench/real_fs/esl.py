"""A small asyncio ESL client for the benchmark: ``api`` commands on one connection, events on another.

The benchmark watches the switch from outside, the same way for both sides, so it keeps its own client
rather than careline's (whose hub belongs to the services under test). Events are asked for as JSON
(``event json …``): one ``json.loads`` per event, no URL-decoding.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable


class EslError(RuntimeError):
    pass


async def _read_frame(reader: asyncio.StreamReader) -> tuple[dict[str, str], bytes]:
    head = await reader.readuntil(b"\n\n")
    headers = {}
    for line in head.decode().splitlines():
        key, _, value = line.partition(": ")
        if key:
            headers[key] = value
    length = int(headers.get("Content-Length", 0))
    body = await reader.readexactly(length) if length else b""
    return headers, body


class Esl:
    """One authenticated connection. Use :meth:`api` or :meth:`listen`, not both on one connection."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader, self.writer = reader, writer
        self._lock = asyncio.Lock()

    @classmethod
    async def connect(cls, host: str, port: int, password: str) -> Esl:
        reader, writer = await asyncio.open_connection(host, port, limit=1 << 24)
        esl = cls(reader, writer)
        headers, _ = await _read_frame(reader)
        if headers.get("Content-Type") != "auth/request":
            raise EslError(f"unexpected greeting {headers}")
        reply = await esl._command(f"auth {password}")
        if not reply.startswith("+OK"):
            raise EslError(f"ESL auth refused: {reply}")
        return esl

    async def _command(self, text: str) -> str:
        self.writer.write(text.encode() + b"\n\n")
        await self.writer.drain()
        while True:
            headers, body = await _read_frame(self.reader)
            kind = headers.get("Content-Type")
            if kind == "command/reply":
                return headers.get("Reply-Text", "")
            if kind == "api/response":
                return body.decode(errors="replace")

    async def api(self, command: str) -> str:
        async with self._lock:
            return (await self._command(f"api {command}")).strip()

    async def listen(self, names: list[str], on_event: Callable[[dict], None]) -> None:
        """Subscribe and call ``on_event(event)`` for each event until the connection closes."""
        reply = await self._command("event json " + " ".join(names))
        if not reply.startswith("+OK"):
            raise EslError(f"event subscription refused: {reply}")
        while True:
            try:
                headers, body = await _read_frame(self.reader)
            except (asyncio.IncompleteReadError, ConnectionError):
                return
            if headers.get("Content-Type") == "text/event-json":
                on_event(json.loads(body))

    async def close(self) -> None:
        self.writer.close()
        try:
            await self.writer.wait_closed()
        except ConnectionError:
            pass

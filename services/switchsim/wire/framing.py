"""ESL wire format: URL encoding, plain/json event frames, command parsing (design §7).

Byte layout follows ../shared/fs-traces/: outer `Content-Length` then `Content-Type`, inner headers
URL-encoded in plain, JSON without spaces, event bodies carried as an inner `Content-Length` (plain)
or `_body` (json).
"""

from __future__ import annotations

import json

# FreeSWITCH's switch_url_encode escapes exactly these, plus control and non-ASCII bytes.
_UNSAFE = set('\r\n "#%&+:;<=>?@[\\]^`{|}')

DISCONNECT_BODY = "Disconnected, goodbye.\nSee you at ClueCon! http://www.cluecon.com/\n"


def url_encode(value: str) -> str:
    out = []
    for ch in value:
        if ch in _UNSAFE or not (0x20 <= ord(ch) < 0x7F):
            out.extend(f"%{b:02X}" for b in ch.encode())
        else:
            out.append(ch)
    return "".join(out)


def plain_headers(headers: list[tuple[str, str]], body: str = "") -> str:
    """Inner block of a text/event-plain frame (also the CHANNEL_DATA part of an outbound connect)."""
    text = "".join(f"{k}: {url_encode(v)}\n" for k, v in headers)
    if body:
        return text + f"Content-Length: {len(body.encode())}\n\n{body}"
    return text + "\n"


def event_frame(headers: list[tuple[str, str]], body: str, fmt: str) -> bytes:
    if fmt == "json":
        obj = dict(headers)
        if body:
            obj["Content-Length"] = str(len(body.encode()))
            obj["_body"] = body
        inner = json.dumps(obj, separators=(",", ":"), ensure_ascii=False)
        ctype = "text/event-json"
    else:
        inner = plain_headers(headers, body)
        ctype = "text/event-plain"
    raw = inner.encode()
    return f"Content-Length: {len(raw)}\nContent-Type: {ctype}\n\n".encode() + raw


def command_reply(text: str, extra: list[tuple[str, str]] = ()) -> bytes:
    lines = ["Content-Type: command/reply", f"Reply-Text: {text}"]
    lines += [f"{k}: {v}" for k, v in extra]
    return ("\n".join(lines) + "\n\n").encode()


def api_response(body: str) -> bytes:
    raw = body.encode()
    return f"Content-Type: api/response\nContent-Length: {len(raw)}\n\n".encode() + raw


def disconnect_notice(extra: list[tuple[str, str]] = (), body: str = DISCONNECT_BODY) -> bytes:
    lines = ["Content-Type: text/disconnect-notice"] + [f"{k}: {v}" for k, v in extra]
    raw = body.encode()
    lines.append(f"Content-Length: {len(raw)}")
    return ("\n".join(lines) + "\n\n").encode() + raw


class Command:
    """One client command: first line, headers (in order, case kept) and optional body."""

    def __init__(self, line: str, headers: list[tuple[str, str]], body: str = ""):
        self.line = line
        self.headers = headers
        self.body = body

    def header(self, name: str, default: str | None = None) -> str | None:
        low = name.lower()
        for k, v in self.headers:
            if k.lower() == low:
                return v
        return default


async def read_command(reader) -> Command | None:
    """Read one command block (terminated by a blank line; body if content-length given)."""
    lines: list[str] = []
    while True:
        raw = await reader.readline()
        if not raw:
            return None
        line = raw.decode(errors="replace").rstrip("\r\n")
        if line == "":
            if not lines:
                continue
            break
        lines.append(line)
    headers = []
    for h in lines[1:]:
        k, _, v = h.partition(":")
        headers.append((k.strip(), v.strip()))
    cmd = Command(lines[0].strip(), headers)
    length = cmd.header("content-length")
    if length and length.isdigit() and int(length) > 0:
        cmd.body = (await reader.readexactly(int(length))).decode(errors="replace")
    return cmd

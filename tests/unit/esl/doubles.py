"""A scripted fake FreeSWITCH ESL server (threads + stdlib sockets, usable from gevent or asyncio).

It answers like FreeSWITCH 1.11.2 does in ../shared/fs-traces (reply texts from the README), and can
be scripted to misbehave: cut a connection mid-body, send unsolicited replies, delay replies, flood
events, never send ``auth/request``. Also a fake *dialer* for the outbound mode that replays the
``g_outbound_socket`` connect reply.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable
from urllib.parse import quote

from .traces import TRACES

DISCONNECT_BODY = b"Disconnected, goodbye.\nSee you at ClueCon! http://www.cluecon.com/\n"
CORE_UUID = "6b7b724e-c07d-4b0b-96b1-e10a1652f18e"


def reply(text: str, **extra: str) -> bytes:
    lines = ["Content-Type: command/reply", f"Reply-Text: {text}"] + [f"{k}: {v}" for k, v in extra.items()]
    return ("\n".join(lines) + "\n\n").encode()


def api_response(body: str) -> bytes:
    raw = body.encode()
    return b"Content-Type: api/response\nContent-Length: %d\n\n" % len(raw) + raw


def disconnect_notice() -> bytes:
    return b"Content-Type: text/disconnect-notice\nContent-Length: 67\n\n" + DISCONNECT_BODY


def event_plain(name: str, body: str | None = None, **headers: str) -> bytes:
    """A text/event-plain frame, values URL-encoded like FreeSWITCH's."""
    fields = {"Event-Name": name, "Core-UUID": CORE_UUID, **headers}
    lines = [f"{k}: {quote(str(v), safe='')}" for k, v in fields.items()]
    if body is not None:
        lines.append(f"Content-Length: {len(body.encode())}")
        inner = ("\n".join(lines) + "\n\n").encode() + body.encode()
    else:
        inner = ("\n".join(lines) + "\n\n").encode()
    return b"Content-Length: %d\nContent-Type: text/event-plain\n\n" % len(inner) + inner


def event_raw(inner: bytes, ctype: str = "text/event-plain") -> bytes:
    return b"Content-Length: %d\nContent-Type: %s\n\n" % (len(inner), ctype.encode()) + inner


class Conn:
    """One accepted connection, as the script sees it."""

    def __init__(self, server: FakeEslServer, sock: socket.socket):
        self.server, self.sock = server, sock
        self.commands: list[str] = []
        self.closed = False
        self.lock = threading.Lock()

    def send(self, data: bytes) -> None:
        with self.lock:
            try:
                self.sock.sendall(data)
            except OSError:
                self.closed = True

    def close(self) -> None:
        self.closed = True
        try:
            self.sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self.sock.close()

    def later(self, delay: float, data: bytes) -> None:
        threading.Timer(delay, self.send, (data,)).start()


class FakeEslServer:
    """Inbound-mode fake: ``on_command(conn, cmd) -> bool`` may take over any command (True = handled)."""

    def __init__(
        self,
        password: str = "ClueCon",
        *,
        on_command: Callable[[Conn, str], bool] | None = None,
        on_connect: Callable[[Conn], bool] | None = None,
        api: dict[str, str] | None = None,
    ):
        self.password = password
        self.on_command = on_command
        self.on_connect = on_connect
        self.api = api or {}
        self.conns: list[Conn] = []
        self.commands: list[str] = []
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port = self._listener.getsockname()[1]
        self._stopped = False
        threading.Thread(target=self._accept_loop, daemon=True).start()

    def _accept_loop(self) -> None:
        while not self._stopped:
            try:
                sock, _ = self._listener.accept()
            except OSError:
                return
            conn = Conn(self, sock)
            self.conns.append(conn)
            threading.Thread(target=self._serve, args=(conn,), daemon=True).start()

    def _serve(self, conn: Conn) -> None:
        if self.on_connect is None or not self.on_connect(conn):
            conn.send(b"Content-Type: auth/request\n\n")
        buf = b""
        try:
            while not conn.closed:
                data = conn.sock.recv(65536)
                if not data:
                    break
                buf += data
                while b"\n\n" in buf:
                    cmd, buf = buf.split(b"\n\n", 1)
                    text = cmd.decode()
                    conn.commands.append(text)
                    self.commands.append(text)
                    self._answer(conn, text)
        except OSError:
            pass
        conn.closed = True

    def _answer(self, conn: Conn, cmd: str) -> None:
        if self.on_command is not None and self.on_command(conn, cmd):
            return
        word = cmd.split()[0] if cmd.split() else ""
        if word == "auth":
            if cmd == f"auth {self.password}":
                conn.send(reply("+OK accepted"))
            else:
                conn.send(reply("-ERR invalid") + disconnect_notice())
                conn.close()
        elif word == "event":
            conn.send(reply(f"+OK event listener enabled {cmd.split()[1]}"))
        elif word == "filter":
            _, header, value = cmd.split(" ", 2)
            conn.send(reply(f"+OK filter added. [{header}]=[{value}]"))
        elif word == "nixevent":
            conn.send(reply("+OK events nixed"))
        elif word == "api":
            conn.send(api_response(self.api.get(cmd[4:], "+OK\n")))
        elif word == "bgapi":
            first, _, job_line = cmd.partition("\n")
            job = job_line.split(": ", 1)[1]
            conn.send(reply(f"+OK Job-UUID: {job}", **{"Job-UUID": job}))
            command = first[6:]
            result = self.api.get(command, "+OK\n")
            conn.send(
                event_plain("BACKGROUND_JOB", result, **{"Job-UUID": job, "Job-Command": command.split()[0]})
            )
        elif word == "exit":
            conn.send(reply("+OK bye") + disconnect_notice())
            conn.close()
        else:
            conn.send(reply("-ERR command not found"))

    def wait_for(self, predicate: Callable[[], bool], timeout: float = 5.0) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if predicate():
                return True
            time.sleep(0.005)
        return False

    def close(self) -> None:
        self._stopped = True
        self._listener.close()
        for conn in self.conns:
            conn.close()


# -- outbound mode -----------------------------------------------------------------------------------


def connect_reply(fmt: str = "plain") -> bytes:
    """The real ``connect`` reply (CHANNEL_DATA headers, no Content-Length) from g_outbound_socket."""
    raw = (TRACES / f"g_outbound_socket.{fmt}.recv").read_bytes()
    return raw[: raw.index(b"\n\n") + 2]


CALL_UUID = "a2e1d34c-3fde-43ef-a842-b47c08e2788d"  # the plain capture's call


class FakeDialer:
    """Plays FreeSWITCH's side of ``socket host:port async full``: connects and answers commands."""

    def __init__(self, port: int, *, fmt: str = "plain", digits: str | None = "123"):
        self.fmt, self.digits = fmt, digits
        self.commands: list[str] = []
        self.done = threading.Event()
        self.sock = socket.create_connection(("127.0.0.1", port))
        self.connected_at: float | None = None
        self.started_at = time.perf_counter()
        threading.Thread(target=self._run, daemon=True).start()

    def _send(self, data: bytes) -> None:
        try:
            self.sock.sendall(data)
        except OSError:
            pass

    def _run(self) -> None:
        buf = b""
        try:
            while True:
                data = self.sock.recv(65536)
                if not data:
                    break
                buf += data
                while b"\n\n" in buf:
                    head, rest = buf.split(b"\n\n", 1)
                    length = 0
                    for line in head.split(b"\n"):
                        if line.lower().startswith(b"content-length: "):
                            length = int(line[16:])
                    if len(rest) < length:
                        break
                    body, buf = rest[:length], rest[length:]
                    self._answer(head.decode(), body.decode())
        except OSError:
            pass
        self.done.set()

    def _answer(self, head: str, body: str) -> None:
        self.commands.append(head + ("\n\n" + body if body else ""))
        first = head.split("\n")[0]
        fields = dict(line.split(": ", 1) for line in head.split("\n")[1:] if ": " in line)
        if first == "connect":
            self.connected_at = time.perf_counter()
            self._send(connect_reply(self.fmt))
        elif first.startswith("myevents"):
            self._send(reply("+OK Events Enabled"))
        elif first.startswith("linger"):
            self._send(
                reply(f"+OK will linger {first.split()[1]} seconds" if " " in first else "+OK will linger")
            )
        elif first == "sendmsg":
            self._send(reply("+OK"))
            if fields.get("call-command") == "execute":
                app = fields.get("execute-app-name", "")
                extra = {
                    "Unique-ID": CALL_UUID,
                    "Application": app,
                    "Application-UUID": fields.get("Event-UUID", ""),
                }
                if app == "play_and_get_digits" and self.digits:
                    extra["variable_" + body.split()[7]] = self.digits
                self._send(event_plain("CHANNEL_EXECUTE_COMPLETE", **extra))
            elif fields.get("call-command") == "hangup":
                self._send(event_plain("CHANNEL_HANGUP", **{"Unique-ID": CALL_UUID}))
        elif first.startswith("api "):
            self._send(api_response("hello"))
        elif first == "exit":
            self._send(reply("+OK bye") + disconnect_notice())
            self.sock.close()

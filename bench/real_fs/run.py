"""Side by side on a real FreeSWITCH (issue 15 part 3, ``make bench-real-fs``): mod_callcenter against
careline's ACD + CDR, the same sipp callers and agents, rates stepped until either side fails.

Run: ``python bench/real_fs/run.py`` with the switch given by environment (docs/dev/bench-real-fs.md);
``run.py --summary <results.json>`` prints a finished run's rows and table again.

    BENCH_FS_ESL=127.0.0.1:8021  BENCH_FS_ESL_PASSWORD=...  BENCH_FS_SIP=127.0.0.1:5060
    BENCH_FS_SIP_PROFILE=internal  BENCH_FS_PID=(the ESL port's local listener)
    BENCH_FS_LOAD_CALLCENTER="load mod_callcenter"  BENCH_FS_UNLOAD_CALLCENTER="unload mod_callcenter"
    BENCH_RATES=2,5,10,20,30,40,50,60  BENCH_STEP_S=60  BENCH_AGENTS=120  BENCH_TALK_S=2
    BENCH_PATIENCE_S=30  BENCH_SIDES=mod_callcenter,careline  BENCH_SIPP_HOST=127.0.0.1
    BENCH_WORK=(a new folder under /tmp: sipp and service logs, results.json)

Each rate runs both sides, alternating which goes first; each side's step: set the side up (not timed),
ring ``rate x step`` callers in at ``rate`` per second, wait until every leg ended (and, for careline,
until the CDR service stored as many records as the switch made legs, or 60 s), read CPU from /proc.
A side fails a rate when more than 1 % of callers were unserved, the p99 wait to agent passed 5 s, or
records were lost; the bench stops after the first rate where either side failed.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import cpu  # noqa: E402
import sipp  # noqa: E402
from callcenter_side import CallcenterSide  # noqa: E402
from careline_side import CarelineSide  # noqa: E402
from esl import Esl  # noqa: E402
from report import HEADER, format_detail, format_row, summary, verdict  # noqa: E402
from watch import EVENTS, Watch, percentile  # noqa: E402

SETTLE_S = 60.0


@dataclass
class Config:
    esl_host: str
    esl_port: int
    esl_password: str
    sip: str
    profile: str
    fs_pid: int | None
    load_callcenter: str
    unload_callcenter: str
    rates: list[float]
    step_s: float
    agents: int
    talk_s: float
    patience_s: float
    sides: list[str]
    sipp_host: str
    work: Path
    extra: dict = field(default_factory=dict)

    @classmethod
    def from_env(cls) -> Config:
        env = os.environ.get
        host, _, port = env("BENCH_FS_ESL", "127.0.0.1:8021").rpartition(":")
        work = Path(env("BENCH_WORK") or tempfile.mkdtemp(prefix="careline-bench-real-fs-"))
        return cls(
            esl_host=host,
            esl_port=int(port),
            esl_password=env("BENCH_FS_ESL_PASSWORD", "ClueCon"),
            sip=env("BENCH_FS_SIP", "127.0.0.1:5060"),
            profile=env("BENCH_FS_SIP_PROFILE", "internal"),
            fs_pid=int(env("BENCH_FS_PID")) if env("BENCH_FS_PID") else cpu.listener_pid(int(port)),
            load_callcenter=env("BENCH_FS_LOAD_CALLCENTER", "load mod_callcenter"),
            unload_callcenter=env("BENCH_FS_UNLOAD_CALLCENTER", "unload mod_callcenter"),
            rates=[float(r) for r in env("BENCH_RATES", "2,5,10,20,30,40,50,60").split(",")],
            step_s=float(env("BENCH_STEP_S", "60")),
            agents=int(env("BENCH_AGENTS", "120")),
            talk_s=float(env("BENCH_TALK_S", "2")),
            patience_s=float(env("BENCH_PATIENCE_S", "30")),
            sides=env("BENCH_SIDES", "mod_callcenter,careline").split(","),
            sipp_host=env("BENCH_SIPP_HOST", "127.0.0.1"),
            work=work,
        )


class Switch:
    """The bench's two ESL links: commands, and the event stream fed to the current step's Watch."""

    def __init__(self, cfg: Config) -> None:
        self.cfg = cfg
        self.watch: Watch | None = None

    async def open(self) -> None:
        c = self.cfg
        self.cmd = await Esl.connect(c.esl_host, c.esl_port, c.esl_password)
        self.events = await Esl.connect(c.esl_host, c.esl_port, c.esl_password)
        self.listener = asyncio.get_running_loop().create_task(self.events.listen(EVENTS, self._on_event))

    def _on_event(self, event: dict) -> None:
        if self.watch is not None:
            self.watch.on_event(event)

    async def api(self, command: str) -> str:
        return await self.cmd.api(command)

    async def close(self) -> None:
        self.listener.cancel()
        await self.cmd.close()
        await self.events.close()


async def run_step(cfg: Config, switch: Switch, side, rate: float, index: int) -> dict:
    step_dir = cfg.work / f"{index:02d}-{side.name}-{rate:g}"
    step_dir.mkdir(parents=True, exist_ok=True)
    if isinstance(side, CarelineSide):
        await side.start(step_dir)
    else:
        await side.start()
    try:
        await warm_up(cfg, switch, side, step_dir)
        idle = await idle_rates(side.pids())  # careline's processes with no calls (their fixed cost)
        row = await measure_step(cfg, switch, side, rate, step_dir)
        row["idle_cpu_s_per_s"] = idle
    finally:
        switch.watch = None
        await side.stop()
    row["verdict"] = verdict(row)
    return row


async def warm_up(cfg: Config, switch: Switch, side, step_dir: Path) -> None:
    """A few calls through the side before the step, not measured: a fresh process's first calls pay
    its lazy imports and first-use caches, which are no per-call cost (BENCH_WARMUP_CALLS, default 10)."""
    calls = int(os.environ.get("BENCH_WARMUP_CALLS", "10"))
    if calls <= 0:
        return
    watch = Watch(side.door, getattr(side, "on_park", None))
    switch.watch = watch
    callers = sipp.start_callers(
        cfg.sipp_host, cfg.sip, side.door, 5, calls, int(cfg.patience_s * 1000), step_dir, "warm-up"
    )
    try:
        await asyncio.wait_for(asyncio.to_thread(callers.wait), calls / 5 + cfg.patience_s + 30)
    except TimeoutError:
        pass
    finally:
        if callers.poll() is None:
            callers.terminate()
    end = time.monotonic() + 30
    while watch.live and time.monotonic() < end:  # noqa: ASYNC110 - the switch's events end it
        await asyncio.sleep(0.2)
    await settle_records(side, watch)
    switch.watch = None


async def measure_step(cfg: Config, switch: Switch, side, rate: float, step_dir: Path) -> dict:
    watch = Watch(side.door, getattr(side, "on_park", None))
    switch.watch = watch
    pids = {"freeswitch": cfg.fs_pid, **side.pids()} if cfg.fs_pid else side.pids()
    pids["bench"] = os.getpid()  # this process (watcher, and careline's IVR stand-in): shown, not counted
    records_before = side.records() or 0  # the warm-up's
    threads0 = side.threads_cpu() if isinstance(side, CarelineSide) else {}
    if isinstance(side, CarelineSide):
        side.start_profile()
    cpu0, t0 = cpu.snapshot(pids), time.monotonic()
    calls = max(1, round(rate * cfg.step_s))
    callers = sipp.start_callers(
        cfg.sipp_host, cfg.sip, side.door, rate, calls, int(cfg.patience_s * 1000), step_dir, "callers"
    )
    limit = cfg.step_s + cfg.patience_s + 60
    try:
        await asyncio.wait_for(asyncio.to_thread(callers.wait), limit)
    except TimeoutError:
        pass
    finally:
        if callers.poll() is None:  # stuck, or the bench was interrupted
            callers.terminate()
    end = time.monotonic() + 30
    while watch.live and time.monotonic() < end:  # noqa: ASYNC110 - the switch's events end it
        await asyncio.sleep(0.2)
    records, records_s = await settle_records(side, watch, before=records_before)
    cpu1, seconds = cpu.snapshot(pids), time.monotonic() - t0
    if isinstance(side, CarelineSide):
        await side.stop_profile()
    switch.watch = None
    row = {
        "rate": rate,
        "side": side.name,
        "calls_rung": calls,
        "seconds": round(seconds, 1),
        **watch.figures(),
    }
    row["records"], row["records_settle_s"] = records, records_s
    row["cpu_s"] = {name: round(cpu1[name] - cpu0[name], 3) for name in pids}
    if isinstance(side, CarelineSide):
        row["handovers"] = dict(side.handovers)
        row["threads_cpu_s"] = thread_deltas(threads0, side.threads_cpu())
        took = sorted(side.handover_ms)
        row["handover_ms"] = {"p50": percentile(took, 50), "p99": percentile(took, 99)}
    return row


def thread_deltas(before: dict, after: dict) -> dict:
    """Per service, its threads' CPU-s during the step, busiest first (tid: seconds)."""
    out = {}
    for service, threads in after.items():
        spent = {
            tid: round(cpu_s - before.get(service, {}).get(tid, 0.0), 3) for tid, cpu_s in threads.items()
        }
        out[service] = dict(sorted(((t, c) for t, c in spent.items() if c > 0), key=lambda x: -x[1]))
    return out


async def settle_records(side, watch: Watch, before: int = 0) -> tuple[int | None, float]:
    """careline: wait until the CDR service stored every leg the switch made (or SETTLE_S passed);
    records of this watch's legs = rows now - ``before``."""
    started = time.monotonic()
    if side.records() is None:
        return None, 0.0
    records = side.records() - before
    while records < len(watch.created) and time.monotonic() - started < SETTLE_S:
        await asyncio.sleep(0.2)
        records = side.records() - before
    return records, round(time.monotonic() - started, 1)


async def idle_rates(pids: dict[str, int], seconds: float = 5.0) -> dict[str, float]:
    if not pids:
        return {}
    before = cpu.snapshot(pids)
    await asyncio.sleep(seconds)
    after = cpu.snapshot(pids)
    return {name: round((after[name] - before[name]) / seconds, 4) for name in pids}


async def idle_cpu(pid: int | None, seconds: float = 5.0) -> float | None:
    if pid is None:
        return None
    before = cpu.cpu_seconds(pid)
    await asyncio.sleep(seconds)
    return (cpu.cpu_seconds(pid) - before) / seconds


async def main_async(cfg: Config) -> int:
    cfg.work.mkdir(parents=True, exist_ok=True)
    switch = Switch(cfg)
    await switch.open()
    agents = [f"bench-agent-{i:03d}" for i in range(1, cfg.agents + 1)]
    uas, uas_port = sipp.start_agents(cfg.sipp_host, int(cfg.talk_s * 1000), cfg.work)
    contact = f"sofia/{cfg.profile}/{{agent}}@{cfg.sipp_host}:{uas_port}"
    sides = {
        "mod_callcenter": CallcenterSide(switch, agents, contact, cfg.load_callcenter, cfg.unload_callcenter),
        "careline": CarelineSide(
            switch,
            agents,
            f"sofia/{cfg.profile}/{{extension}}@{cfg.sipp_host}:{uas_port}",
            {"esl_host": cfg.esl_host, "esl_port": str(cfg.esl_port), "esl_password": cfg.esl_password},
            cfg.work,
        ),
    }
    order = [sides[name] for name in cfg.sides]
    print(
        f"switch: {(await switch.api('version')).strip()}; ESL {cfg.esl_host}:{cfg.esl_port}, SIP {cfg.sip}"
    )
    idle = await idle_cpu(cfg.fs_pid)
    print(
        f"{cfg.agents} agents (sipp UAS :{uas_port}, {cfg.talk_s:g} s talk), callers' patience "
        f"{cfg.patience_s:g} s, {cfg.step_s:g} s per step; FreeSWITCH pid {cfg.fs_pid} "
        f"({cpu.scheduling(cfg.fs_pid)}), idle "
        f"{'-' if idle is None else f'{idle:.3f}'} CPU-s/s; logs and results.json in {cfg.work}",
        flush=True,
    )
    import careline  # the services run from the same source as this process (PYTHONPATH included)

    print(f"careline from {Path(careline.__file__).parent}", flush=True)
    print(HEADER, flush=True)
    rows, index = [], 0
    try:
        for n, rate in enumerate(cfg.rates):
            failed = False
            for side in order if n % 2 == 0 else order[::-1]:  # alternate which side goes first
                index += 1
                row = await run_step(cfg, switch, side, rate, index)
                rows.append(row)
                print(format_row(row), flush=True)
                print(format_detail(row), flush=True)
                (cfg.work / "results.json").write_text(json.dumps(rows, indent=1))
                failed = failed or row["verdict"] != "ok"
                await asyncio.sleep(2)
            if failed:
                print(f"(stopping: a side failed at {rate:g} calls/s)")
                break
    finally:
        uas.terminate()
        await switch.close()
    print()
    print(summary(rows))
    return 0


def main() -> int:
    if sys.argv[1:2] == ["--summary"]:  # the table again from a run's results.json
        rows = json.loads(Path(sys.argv[2]).read_text())
        print("\n".join(format_row(r) + "\n" + format_detail(r) for r in rows))
        print(summary(rows))
        return 0
    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    # the IVR adapter's warning per timed-out hand-over would flood the table; they are counted instead
    logging.getLogger("careline").setLevel(logging.ERROR)
    return asyncio.run(main_async(Config.from_env()))


if __name__ == "__main__":
    sys.exit(main())

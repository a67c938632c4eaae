"""``careline loadgen``: run the load, print the figures; exit 0 when no call was lost, 1 otherwise."""

from __future__ import annotations

import asyncio
import logging
import math
import re
import sys
import time
from dataclasses import dataclass

from careline.core.log import setup_logging
from careline.demo.stack import Stack, open_stack
from careline.loadgen import drive
from careline.loadgen.figures import RunFigures, compute, histogram_quantile
from careline.loadgen.plan import SERVICE_LEVEL_S, LoadPlan, parse_args

METRIC = "careline_acd_routing_latency_seconds"


@dataclass
class LoadReport:
    plan: LoadPlan
    figures: RunFigures
    acd_stats: dict
    histogram_ms: tuple[float, float]  # p50, p99 from the ACD's /metrics histogram
    peak_channels: int
    legs: int
    cdrs: int
    run_s: float


async def _histogram(stack: Stack) -> tuple[float, float]:
    async with stack.client("acd") as acd:
        text = (await acd.get("/metrics")).text
    pattern = rf'^{METRIC}_bucket{{le="([^"]+)"}} ([0-9.e+]+)$'
    buckets = [(float(le), float(n)) for le, n in re.findall(pattern, text, re.MULTILINE)]
    return histogram_quantile(0.5, buckets) * 1000, histogram_quantile(0.99, buckets) * 1000


async def _cdrs(stack: Stack, legs: int) -> int:
    """CDRs are written from CHANNEL_HANGUP_COMPLETE, a moment after each call ends."""
    written = 0
    async with stack.client("cdr") as cdr:
        for _ in range(100):
            written = (await cdr.get("/v1/cdrs", params={"limit": 1})).json()["total"]
            if written >= legs:
                break
            await asyncio.sleep(0.2)
    return written


async def run_load(plan: LoadPlan, out=print) -> LoadReport:
    started = time.monotonic()
    out("starting nats-server, the FreeSWITCH simulator and the crm/cdr/acd/ivr services ...")
    async with open_stack(time_scale=plan.time_scale, **drive.STACK_OPTIONS) as stack:
        obs = drive.Observer(stack)
        await drive.provision(stack, plan)
        out(
            f"{plan.agents} agents, mean handle {plan.handle_time:g} s; {plan.rate:g} calls/s for "
            f"{plan.duration:g} s (offered load {plan.offered_load_erlangs:.1f} erlangs); "
            f"patience {'none' if not plan.patience else f'{plan.patience:g} s mean'}; "
            f"time scale {plan.time_scale:g}"
        )
        tasks: list[asyncio.Task] = []
        ticker = asyncio.ensure_future(drive.progress(stack, obs, plan, started, out))
        t0 = stack.switch.core.now()
        try:
            await drive.ring_in(stack, obs, plan, tasks)
            await asyncio.gather(*tasks, return_exceptions=True)
            await drive.settle(obs, quiet_limit_s=max(30.0, 60 * plan.time_scale))
        finally:
            ticker.cancel()
        figures = compute(
            [w.log for w in obs.watch.values()],
            agents=plan.agents,
            answer_after=plan.answer_after,
            window=(t0, t0 + plan.duration),
            waited=[not free for free in obs.free_on_arrival.values()],
            latencies_s=list(obs.first_originate_s.values()),
            free_latencies_s=[
                s for uuid, s in obs.first_originate_s.items() if obs.free_on_arrival.get(uuid)
            ],
        )
        await stack.switch.wait_idle(10)
        legs = len(obs.watch) + sum(len(p.history) for p in stack.switch.phones.values())
        cdrs = await _cdrs(stack, legs)
        async with stack.client("acd") as acd:
            stats = (await acd.get("/v1/stats")).json()
        report = LoadReport(plan, figures, stats, await _histogram(stack), obs.peak_channels, legs, cdrs, 0.0)
        out("stopping ...")
    report.run_s = time.monotonic() - started
    return report


def _ms(value: float) -> str:
    return "n/a" if math.isnan(value) else f"{value:.2f}"


def rows(report: LoadReport) -> dict[str, str]:
    f, s = report.figures, report.acd_stats
    lat = f.latency_ms
    waited = "n/a" if f.waited_fraction is None else f"{f.waited_fraction:.1%}"
    lost_note = "OK (every caller answered or abandoned)" if f.zero_lost else f"FAILED: {f.lost} lost"
    if f.lost_how:
        lost_note += " (" + ", ".join(f"{n} {how}" for how, n in f.lost_how.items()) + ")"
    return {
        "offered (callers)": str(f.offered),
        "answered": str(f.answered),
        "abandoned": str(f.abandoned),
        "lost": str(f.lost),
        "zero-lost check": lost_note,
        "ACD offered / answered / abandoned": f"{s['offered']} / {s['answered']} / {s['abandoned']}",
        "average speed of answer (s)": f"{f.asa_s:.2f}",
        "longest time to answer (s)": f"{f.max_answer_s:.2f}",
        "callers who waited (no agent free)": waited,
        f"service level (answered <= {SERVICE_LEVEL_S:g} s)": f"{f.service_level:.1%}",
        "agent occupancy (ringing + talking)": f"{f.occupancy:.1%}",
        "routing latency p50 / p99 (ms)": f"{_ms(lat['p50'])} / {_ms(lat['p99'])}",
        "  callers who found an agent free": f"{_ms(lat['free_p50'])} / {_ms(lat['free_p99'])}",
        "  ACD histogram p50 / p99 (ms)": f"{_ms(report.histogram_ms[0])} / {_ms(report.histogram_ms[1])}",
        "peak concurrent calls": str(f.peak_calls),
        "peak channels on the switch": str(report.peak_channels),
        "CDRs written / call legs": f"{report.cdrs} / {report.legs}",
        "run time (s)": f"{report.run_s:.1f}",
    }


def print_table(table: dict[str, str], title: str = "careline loadgen summary") -> None:
    width = max(len(k) for k in table)
    print(f"\n{title}")
    print("-" * (width + 44))
    for key, value in table.items():
        print(f"{key:<{width}}  {value}")
    print("-" * (width + 44), flush=True)


def main(argv: list[str] | None = None) -> int:
    plan, verbose = parse_args(sys.argv[1:] if argv is None else argv)
    setup_logging("loadgen", "INFO" if verbose else "WARNING", json_lines=True)
    logging.getLogger("uvicorn").setLevel(logging.WARNING)
    report = asyncio.run(run_load(plan, out=lambda line: print(line, flush=True)))
    print_table(rows(report))
    return 0 if report.figures.zero_lost else 1

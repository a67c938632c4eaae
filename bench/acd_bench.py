"""ACD under load (issue 3, `make bench`): sustained calls per second through IVR→ACD→agent→CDR with zero
lost calls, routing latency p50/p99, and the most concurrent calls held.

Run: ``python bench/acd_bench.py``. Each step is a `careline loadgen` run (:mod:`careline.loadgen`) on a
fresh stack in real time: callers hear the IVR menu, press 0, are queued by the ACD, bridged to an agent
who talks an exponential second on average, and every leg's CDR must be written. Agents are plentiful
(1.5x the offered load + 5) so the step measures the software, not a staffing shortage. The rate steps
up until a step loses a call (or a CDR), the ring-in falls behind the target rate, or the routing latency
of callers who found an agent free explodes (p99 > 250 ms); the whole bench stays within ~90 s.
"""

from __future__ import annotations

import asyncio
import logging
import math
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from careline.core.log import setup_logging  # noqa: E402
from careline.loadgen.cli import LoadReport, run_load  # noqa: E402
from careline.loadgen.plan import LoadPlan  # noqa: E402

RATES = (5, 10, 20, 30, 40, 60, 80)  # calls per second
STEP_S = 10.0  # seconds callers ring in, per step
HANDLE_S = 1.0
BUDGET_S = 90.0
LATENCY_LIMIT_MS = 250.0


def step_plan(rate: float) -> LoadPlan:
    agents = math.ceil(rate * (HANDLE_S + 0.1) * 1.5) + 5
    return LoadPlan(
        rate=rate, agents=agents, handle_time=HANDLE_S, duration=STEP_S, answer_after=0.1, seed=rate,
        progress_every=3600,
    )  # fmt: skip


def verdict(report: LoadReport) -> str:
    f = report.figures
    if not f.zero_lost:
        return f"{f.lost} lost: " + ", ".join(f"{n} {how}" for how, n in f.lost_how.items())
    if report.cdrs != report.legs:
        return f"{report.legs - report.cdrs} CDRs missing"
    if f.offered < 0.8 * report.plan.rate * STEP_S:
        return "ring-in fell behind"
    if f.latency_ms["free_p99"] > LATENCY_LIMIT_MS:
        return "latency exploded"
    return "ok"


def main() -> int:
    setup_logging("bench", "ERROR", json_lines=True)
    logging.getLogger("uvicorn").setLevel(logging.ERROR)
    started, rows, last_step_s = time.monotonic(), [], 0.0
    header = (
        f"{'calls/s':>8}{'agents':>8}{'offered':>9}{'answered':>9}{'lost':>6}{'CDRs':>11}{'route p50':>11}"
        f"{'p99 ms':>9}{'free p50':>10}{'p99 ms':>9}{'peak calls':>12}{'peak ch':>9}  verdict"
    )
    print(header, flush=True)
    for rate in RATES:
        elapsed = time.monotonic() - started
        if rows and elapsed + last_step_s * 1.3 > BUDGET_S:  # steps grow with the rate
            print(f"(stopping: the next step would pass the {BUDGET_S:.0f} s budget)")
            break
        step_started = time.monotonic()
        report = asyncio.run(run_load(step_plan(rate), out=lambda _line: None))
        last_step_s = time.monotonic() - step_started
        f, lat, ok = report.figures, report.figures.latency_ms, verdict(report)
        rows.append((rate, report, ok))
        print(
            f"{rate:>8}{report.plan.agents:>8}{f.offered:>9}{f.answered:>9}{f.lost:>6}"
            f"{f'{report.cdrs}/{report.legs}':>11}{lat['p50']:>11.2f}{lat['p99']:>9.2f}"
            f"{lat['free_p50']:>10.2f}{lat['free_p99']:>9.2f}{f.peak_calls:>12}{report.peak_channels:>9}"
            f"  {ok}",
            flush=True,
        )
        if ok != "ok":
            break
    passed = [(rate, r) for rate, r, ok in rows if ok == "ok"]
    if not passed:
        print("no step passed")
        return 1
    rate, best = passed[-1]
    lat = best.figures.latency_ms
    print(f"sustained with zero lost calls: {rate} calls/s ({best.figures.offered} calls in {STEP_S:g} s)")
    print(f"routing latency at that rate: p50 {lat['p50']:.2f} ms, p99 {lat['p99']:.2f} ms")
    print(f"most concurrent calls held: {max(r.figures.peak_calls for _, r in passed)} calls "
          f"({max(r.peak_channels for _, r in passed)} channels)")  # fmt: skip
    print(f"bench time: {time.monotonic() - started:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""`careline loadgen` as an ops person runs it (issue 3: Poisson arrivals, N agents, exponential handle
time, optional patience; prints offered, answered, abandoned, ASA, waited, service level, occupancy,
routing latency p50/p99).

Runs the real console command in a subprocess (its own nats-server, simulator and services) on a short
burst faster than real time, and checks that the printed figures agree with each other. No timing is
asserted: the figures' values depend on the machine, their consistency does not.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

CARELINE = Path(sys.executable).parent / "careline"


def _row(output: str, label: str) -> str:
    match = re.search(rf"^{re.escape(label)}\s+(.+)$", output, re.MULTILINE)
    assert match, f"no '{label}' row in:\n{output}"
    return match.group(1).strip()


def _percent(text: str) -> float:
    assert text.endswith("%"), text
    return float(text[:-1]) / 100


def _loadgen(*flags: str) -> subprocess.CompletedProcess:
    return subprocess.run([str(CARELINE), "loadgen", *flags], capture_output=True, text=True, timeout=180)


def test_a_burst_of_callers_is_all_answered_or_abandoned_and_the_figures_agree():
    done = _loadgen(
        "--rate", "5", "--agents", "6", "--handle-time", "2", "--patience", "4",
        "--duration", "10", "--time-scale", "0.25", "--seed", "3", "--progress-every", "1",
    )  # fmt: skip
    out = done.stdout
    assert done.returncode == 0, out + done.stderr
    assert "careline loadgen summary" in out
    assert re.search(r"^\s+t=\s*[\d.]+s\s+rang\s+\d+", out, re.MULTILINE), "no progress line"
    offered, answered = int(_row(out, "offered (callers)")), int(_row(out, "answered"))
    abandoned, lost = int(_row(out, "abandoned")), int(_row(out, "lost"))
    assert offered > 20  # 5 calls/s for 10 s: about 50
    assert answered + abandoned == offered and lost == 0
    assert answered > 0
    assert _row(out, "zero-lost check").startswith("OK")
    # the ACD's own count of the same callers; a caller whose patience ran out while the IVR was still
    # handing the call over never reached the queue, so the ACD may have seen fewer
    acd_offered, acd_answered, acd_abandoned = map(
        int, _row(out, "ACD offered / answered / abandoned").split(" / ")
    )
    assert acd_answered == answered and acd_offered == acd_answered + acd_abandoned
    assert offered - abandoned <= acd_offered <= offered
    legs, cdrs = (int(x) for x in reversed(_row(out, "CDRs written / call legs").split(" / ")))
    assert cdrs == legs >= offered + answered  # a caller's leg, and an agent's leg per answer
    for label in ("callers who waited (no agent free)", "service level (answered <= 20 s)",
                  "agent occupancy (ringing + talking)"):  # fmt: skip
        assert 0.0 <= _percent(_row(out, label)) <= 1.0
    assert float(_row(out, "average speed of answer (s)")) <= float(_row(out, "longest time to answer (s)"))
    p50, p99 = (float(x) for x in _row(out, "routing latency p50 / p99 (ms)").split(" / "))
    assert 0.0 <= p50 <= p99
    assert 1 <= int(_row(out, "peak concurrent calls")) <= offered


def test_loadgen_refuses_nonsense_flags_with_a_clear_message():
    for flags, message in (
        (("--rate", "0"), "--rate must be > 0"),
        (("--agents", "0"), "--agents must be >= 1"),
        (("--handle-time", "-1"), "--handle-time must be > 0"),
        (("--patience", "-2"), "--patience must be >= 0"),
        (("--rate", "many"), "invalid float value"),
    ):
        done = _loadgen(*flags)
        assert done.returncode == 2, (flags, done.stderr)
        assert message in done.stderr, (flags, done.stderr)

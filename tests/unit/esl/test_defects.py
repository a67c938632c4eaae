"""One regression test per greenswitch 0.0.19 defect (design §2, 1–11), against greenswitch and the adapter.

The greenswitch case is ``xfail(strict=True)``: it must fail on plain greenswitch and pass on the adapter
(defect 8, a backlog, is not strict: see LOAD_DEPENDENT).
Each scenario (tests/unit/esl/defects.py) runs in a subprocess with a hard timeout, because plain
greenswitch freezes its hub (defect 1) or waits forever (defects 2, 9).
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]
HARD_TIMEOUT = 8.0

DEFECTS = {
    1: "connection lost mid event body: link reported down, hub keeps running",
    2: "TCP drop with a command pending: the command fails instead of hanging",
    3: "caller-side timeout: the next command gets its own reply, not the late one",
    4: "unsolicited command/reply: reader survives, commands still answered",
    5: "event json: parsed, reader survives",
    6: "%0A in a value cannot inject a header",
    7: "BACKGROUND_JOB body kept apart from Content-Length",
    8: "event backlog: a timer fires before the flood is fully handled",
    9: "no auth/request: connect times out",
    10: "outbound accept not polled: accept→connect well under the 100 ms poll",
    11: "'*' handlers get every event; CUSTOM handlers match by CUSTOM <subclass>",
}

# Defect 8 is a backlog: on a machine already busy, the flooding process is slowed down too and plain
# greenswitch sometimes keeps up with it (seen in a clean-clone run under load). Its greenswitch case may
# then pass; the adapter case must always pass.
LOAD_DEPENDENT = {8}


def _cases():
    for number in sorted(DEFECTS):
        strict = number not in LOAD_DEPENDENT
        defect = pytest.mark.xfail(strict=strict, reason="greenswitch 0.0.19 defect")
        yield pytest.param(number, "greenswitch", marks=defect, id=f"defect{number}-greenswitch")
        yield pytest.param(number, "adapter", id=f"defect{number}-adapter")


def run_scenario(number: int, impl: str) -> tuple[bool, str]:
    try:
        done = subprocess.run(
            [sys.executable, "-m", "tests.unit.esl.defects", str(number), impl],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=HARD_TIMEOUT,
        )
    except subprocess.TimeoutExpired:
        return False, f"no result in {HARD_TIMEOUT}s (frozen or waiting forever)"
    return done.returncode == 0, done.stderr[-2000:]


@pytest.mark.parametrize(("number", "impl"), _cases())
def test_defect(number, impl):
    ok, detail = run_scenario(number, impl)
    assert ok, f"defect {number} ({DEFECTS[number]}) on {impl}: {detail}"

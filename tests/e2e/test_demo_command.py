"""`careline demo` as an ops person runs it (issue: `make demo` runs the main job on embedded defaults).

Runs the real console command in a subprocess (its own nats-server, simulator and services), faster than
real time, and reads the summary table it prints.
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


def test_demo_runs_calls_and_prints_a_consistent_summary():
    done = subprocess.run(
        [str(CARELINE), "demo", "--calls", "6", "--duration", "4", "--agents", "3", "--time-scale", "0.1"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    out = done.stdout
    assert done.returncode == 0, out + done.stderr
    assert "careline demo summary" in out
    offered = int(_row(out, "offered to the ACD"))
    answered = int(_row(out, "answered by agents"))
    abandoned = int(_row(out, "abandoned"))
    assert offered == 6 and answered + abandoned == offered
    assert int(_row(out, "callers bridged (switch view)")) == answered
    assert int(_row(out, "CDRs written")) == int(_row(out, "call legs"))
    assert _row(out, "max calls on one phone") == "1"
    assert "agent1003=on_break" in _row(out, "agents at the end")  # the last agent never answers


def test_demo_refuses_nonsense_flags():
    done = subprocess.run([str(CARELINE), "demo", "--calls", "0"], capture_output=True, text=True, timeout=60)
    assert done.returncode == 2 and "must be positive" in done.stderr

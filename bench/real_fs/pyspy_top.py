"""Where a careline service's CPU went in one step, from ``py-spy record --format raw --threads`` attached
to it for the measured step (run the bench with BENCH_PROFILE=py-spy; by default py-spy samples only the
thread holding the GIL, ``--gil``).

    python bench/real_fs/pyspy_top.py <step folder> <service> [top]

For each busy thread of the service: its CPU-s during the step from /proc (results.json), in ms per call,
then the functions by self and inclusive share of that thread's samples, converted to ms per call.
Functions are keyed by name and file (all lines together).
"""

from __future__ import annotations

import json
import re
import sys
from collections import Counter, defaultdict
from pathlib import Path

SKIP = ("_find_and_load",)  # a module imported lazily during the step is no per-call work
_FRAME = re.compile(r"^(?P<name>.*) \((?P<file>[^:()]*)(?::\d+)?\)$")
_THREAD = re.compile(r"^thread \((?P<tid>\d+)\)")


def frame_key(frame: str) -> str:
    match = _FRAME.match(frame.strip())
    return f"{match['name']} ({match['file']})" if match else frame.strip()


def read(path: Path) -> dict[str, tuple[Counter, Counter, int]]:
    """Per thread id: (self counts, inclusive counts, samples)."""
    own: dict[str, Counter] = defaultdict(Counter)
    inclusive: dict[str, Counter] = defaultdict(Counter)
    total: Counter = Counter()
    for line in path.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        if not stack or not count.isdigit() or any(marker in stack for marker in SKIP):
            continue
        frames = stack.split(";")
        match = _THREAD.match(frames[0])
        tid = match["tid"] if match else "?"
        frames = [frame_key(f) for f in frames[1:] if not f.startswith(("thread (", "process "))]
        if not frames:
            continue
        n = int(count)
        total[tid] += n
        own[tid][frames[-1]] += n
        for key in set(frames):
            inclusive[tid][key] += n
    return {tid: (own[tid], inclusive[tid], total[tid]) for tid in total}


def step_row(step: Path) -> dict:
    rows = json.loads((step.parent / "results.json").read_text())
    return rows[int(step.name.split("-", 1)[0]) - 1]


def main(argv: list[str]) -> int:
    if len(argv) < 2:
        print(__doc__)
        return 2
    step, service = Path(argv[0]), argv[1]
    top = int(argv[2]) if len(argv) > 2 else 15
    row = step_row(step)
    calls = row["offered"] or 1
    threads = row.get("threads_cpu_s", {}).get(service, {})
    profile = read(step / f"{service}.pyspy.txt")
    total_ms = 1000 * row["cpu_s"][service] / calls
    print(f"{service} at {row['rate']:g} calls/s: {total_ms:.2f} ms CPU per call ({calls} calls)")
    for tid, cpu_s in threads.items():
        ms = 1000 * cpu_s / calls
        if tid not in profile or ms < 0.05:
            print(f"  thread {tid}: {ms:.2f} ms/call (no Python samples)")
            continue
        own, inclusive, samples = profile[tid]
        print(f"  thread {tid}: {ms:.2f} ms/call, {samples} samples")
        print("    self:")
        for key, n in own.most_common(top):
            print(f"    {ms * n / samples:6.3f} ms  {100 * n / samples:5.1f}%  {key}")
        print("    inclusive:")
        for key, n in inclusive.most_common(top + 20):
            print(f"    {ms * n / samples:6.3f} ms  {100 * n / samples:5.1f}%  {key}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

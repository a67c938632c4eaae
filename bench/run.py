"""`make bench`: every benchmark of the project in one run, each printing its own figures and ratios.

Benchmarks measure; tests never time anything. Each bench script is run in its own process so one
cannot distort another (the ESL bench owns a gevent hub thread, for instance).
"""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).parent
# (script, arguments): the CDR bench runs once on the ESL intake at three rates and once at one rate
# with the simulator's mod_json_cdr posting every leg too; the suite bench gives careline's own CPU per
# call, service by service (issue 15; ~100 s together)
BENCHES = [
    ("esl_bench.py",),
    ("acd_bench.py",),
    ("billing_bench.py",),
    ("cdr_bench.py",),
    ("cdr_bench.py", "30", "--json-cdr"),
    ("suite_bench.py",),
]


def main() -> int:
    failed = []
    for name, *args in BENCHES:
        path = HERE / name
        name = " ".join([name, *args])
        print(f"\n=== {name} ===", flush=True)
        started = time.monotonic()
        rc = subprocess.call([sys.executable, str(path), *args], cwd=HERE.parent)
        print(f"--- {name}: exit {rc} in {time.monotonic() - started:.1f} s", flush=True)
        if rc:
            failed.append(name)
    if failed:
        print(f"\nfailed: {', '.join(failed)}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/env python3
"""preStop drain for the IVR pod (design §9: scale-in drains calls before a pod stops).

Kubernetes runs this before SIGTERM. It asks the service to stop taking calls (``POST <url>``; the service
then answers /readyz with 503, so FreeSWITCH-facing traffic moves to other pods), then polls ``GET <url>``
until it reports ``{"active_calls": 0}`` or the timeout passes. It always exits 0: a drain that cannot
reach the service must not hold the pod forever (terminationGracePeriodSeconds is the hard limit).
Standard library only: it runs inside the slim image with no curl.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
import urllib.error
import urllib.request

# The pod's own loopback: never through an HTTP proxy the environment may name.
_OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def _request(url: str, method: str, timeout: float) -> dict:
    req = urllib.request.Request(url, method=method, data=b"" if method == "POST" else None)
    with _OPENER.open(req, timeout=timeout) as resp:
        body = resp.read()
    return json.loads(body) if body else {}


def drain(url: str, timeout: float, interval: float = 2.0) -> int:
    """Returns the number of calls still active when it gave up (0 when drained)."""
    deadline = time.monotonic() + timeout
    try:
        _request(url, "POST", timeout=5)
    except (urllib.error.URLError, OSError, ValueError) as exc:
        print(f"careline-drain: could not start drain at {url}: {exc}", file=sys.stderr)
        return -1
    active = -1
    while time.monotonic() < deadline:
        try:
            active = int(_request(url, "GET", timeout=5).get("active_calls", 0))
        except (urllib.error.URLError, OSError, ValueError) as exc:
            print(f"careline-drain: status unavailable: {exc}", file=sys.stderr)
            return -1
        if active <= 0:
            print("careline-drain: no active calls, stopping", file=sys.stderr)
            return 0
        time.sleep(interval)
    print(f"careline-drain: timeout with {active} call(s) still active", file=sys.stderr)
    return active


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", default="http://127.0.0.1:8000/v1/drain")
    parser.add_argument("--timeout", type=float, default=3540.0)
    parser.add_argument("--interval", type=float, default=2.0)
    args = parser.parse_args(argv)
    drain(args.url, args.timeout, args.interval)
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""``careline loadgen``: Poisson callers against the whole suite on the simulator (issue 3).

Starts the stack of :mod:`careline.demo.stack` (nats-server, the FreeSWITCH simulator, crm/cdr/acd/ivr),
logs N agents in whose phones talk for exponential times of a given mean, rings callers in at a Poisson
rate (each presses 0 in the IVR menu and waits in the ACD queue, optionally giving up after an exponential
patience), shows progress, and prints the contact-center figures (:mod:`.figures`).
"""

from careline.loadgen.cli import main

__all__ = ["main"]

"""``careline demo``: a short day at the hospital call center on embedded defaults (what ``make demo`` runs).

Starts nats-server, the FreeSWITCH simulator and the crm, cdr, acd and ivr services (see :mod:`.stack`),
registers a few patients and agents through the services' HTTP APIs, lets scripted callers ring in at
Poisson-spaced times, shows progress, prints a summary, and stops everything cleanly.
"""

from careline.demo.run import main

__all__ = ["main"]

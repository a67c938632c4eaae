"""careline.switchsim — a FreeSWITCH 1.11.2 simulator speaking the Event Socket protocol (design §7).

Layers, each importing only those below it (tests/unit/switchsim/test_layers.py):
wire (ESL framing) < model (channels, core, scheduler) < apps (applications, api commands)
< endpoints (phones, callers, ESL server, outbound socket) < switch.py / cli.py (wiring)."""

from .cli import main
from .endpoints.callers import CallerScript, CallRecord, PoissonCallers
from .endpoints.phones import Phone, PhoneBehaviour
from .switch import TRACE_DIALPLAN, Switch, SwitchConfig

__all__ = ["Switch", "SwitchConfig", "PhoneBehaviour", "CallerScript", "PoissonCallers", "Phone",
           "CallRecord", "TRACE_DIALPLAN", "main"]  # fmt: skip

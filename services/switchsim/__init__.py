"""careline.switchsim — a FreeSWITCH 1.11.2 simulator speaking the Event Socket protocol (design §7)."""

from .phones import CallerScript, CallRecord, Phone, PhoneBehaviour, PoissonCallers
from .switch import TRACE_DIALPLAN, Switch, SwitchConfig

__all__ = ["Switch", "SwitchConfig", "PhoneBehaviour", "CallerScript", "PoissonCallers", "Phone",
           "CallRecord", "TRACE_DIALPLAN"]  # fmt: skip

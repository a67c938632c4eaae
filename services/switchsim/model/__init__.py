"""Layer 1 — the channel model: channels and their states and variables, legs and bridges, the event
factory, the scheduler and the engine (Core) that routes and runs sessions. Imports only the wire
(tests/unit/switchsim/test_layers.py)."""

from .config import SwitchConfig
from .core import Core

__all__ = ["Core", "SwitchConfig"]

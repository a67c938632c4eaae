"""Layer 2 — applications: dialplan applications (mod_dptools, mod_conference subsets) and api commands
(mod_commands subset). Imports only the model and the wire (tests/unit/switchsim/test_layers.py)."""

from . import conference, dptools, media, originate
from .args import split_args
from .commands import COMMANDS, run_api
from .execute import execute

# Every application this layer provides, by name; the switch copies it into core.apps, where endpoints
# add their own (the outbound `socket` application).
APPLICATIONS = {**dptools.APPS, **media.APPS, **originate.APPS, **conference.APPS}

__all__ = ["APPLICATIONS", "COMMANDS", "execute", "run_api", "split_args"]

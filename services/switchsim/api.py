"""Kept for callers of `careline.switchsim.api` (run_api, COMMANDS): the api commands live in
careline.switchsim.apps.commands."""

from .apps.commands import COMMANDS, run_api

__all__ = ["COMMANDS", "run_api"]

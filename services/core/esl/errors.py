"""Errors raised by the ESL adapter (design §2)."""

from __future__ import annotations

from greenswitch.esl import NotConnectedError


class EslError(Exception):
    """FreeSWITCH answered ``-ERR …`` or the adapter could not do what was asked."""


class EslNotConnected(EslError, NotConnectedError):
    """The link is down (or went down while the command was pending); the command may not have run."""


class EslTimeout(EslError, TimeoutError):
    """No reply in time. The link was killed (reply order is lost) and will reconnect."""

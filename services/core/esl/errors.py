"""Errors raised by the ESL adapter (design §2)."""

from __future__ import annotations

from greenswitch.esl import NotConnectedError


class EslError(Exception):
    """FreeSWITCH answered ``-ERR …`` or the adapter could not do what was asked."""


class EslNotConnected(EslError, NotConnectedError):
    """The link is down (or went down while the command was pending); the command may not have run."""


class EslTimeout(EslError, TimeoutError):
    """No reply in time. The link was killed (reply order is lost) and will reconnect."""


class EslCallHungUp(EslError):
    """The outbound call hung up while (or before) we waited: the awaited event will never come.

    Raised by ``OutboundCall.execute(wait=True)``, ``play_and_get_digits`` and ``wait_event`` once
    CHANNEL_HANGUP or the socket's linger/disconnect notice has arrived. ``call.hung_up`` is then true.
    """

"""Errors the bus raises or understands (design §4)."""

from __future__ import annotations


class BusError(Exception):
    """Base of careline bus errors."""


class Conflict(BusError):
    """A KV compare-and-set lost: the key exists (create) or moved past the given revision (update)."""

    def __init__(self, bucket: str, key: str, detail: str = ""):
        super().__init__(f"{bucket}/{key}: {detail or 'revision conflict'}")
        self.bucket, self.key = bucket, key


class AlreadyProcessed(BusError):  # noqa: N818 - a signal, not a failure
    """Raised by a consumer handler to say "this fact was handled before": the helper acks it."""


class RemoteError(BusError):
    """A request's responder failed; the text is the responder's error message."""

    def __init__(self, subject: str, text: str):
        super().__init__(f"{subject}: {text}")
        self.subject, self.text = subject, text


class NoResponders(BusError):
    """Nobody serves the subject (the service is down or not started yet)."""

"""DTMF from waiting callers over the ACD's ESL link (queued callback, domain/callbacks.py).

A parked caller's digits reach the ESL link as DTMF events (Unique-ID, DTMF-Digit). The subscription has
no ``filter Unique-ID <uuid>``: FreeSWITCH filters are per link and OR'ed across every subscription of it,
so a filter for one caller would hide every other channel's hangup from the distributor, and filters are
never removed as callers leave. The handler drops digits of channels not waiting in a queue with a key.
"""

from __future__ import annotations

from careline.acd.domain.callbacks import on_digit
from careline.acd.domain.routing import Distributor


def subscribe_dtmf(esl, distributor: Distributor) -> None:
    """Synchronous, before the lifespan's first await (as AcdHandlers.subscribe_esl)."""
    if esl is None:
        return

    def on_dtmf(event) -> None:
        uuid, digit = event.get("Unique-ID"), event.get("DTMF-Digit")
        if uuid and digit:
            on_digit(distributor, uuid, digit)

    esl.subscribe(["DTMF"], on_dtmf)

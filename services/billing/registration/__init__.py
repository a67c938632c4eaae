"""Formal (paid) registration (R-REG4–R-REG6, R-VIP3; design §5): the saga (:mod:`.saga`), its table
(:mod:`.models`), the CRM's seats as it sees them (:mod:`.seats`), its HTTP routes (:mod:`.api`, with
:mod:`.schemas`) and the IVR's NATS request (:mod:`.handlers`).

The package exports what callers use of the saga; ``api`` and ``handlers`` are imported by the app, never
from here (they import the refunds, which import the saga: imports point down).
"""

from careline.billing.registration.saga import (
    Clock,
    RegistrationRequest,
    Registrations,
    as_utc,
    ledger_memo,
    utc_now,
)

__all__ = ["Clock", "RegistrationRequest", "Registrations", "as_utc", "ledger_memo", "utc_now"]

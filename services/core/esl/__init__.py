"""careline.core.esl: FreeSWITCH Event Socket for asyncio, greenswitch underneath (design §2).

greenswitch connections live in one gevent hub thread per process (``hub``); the defective parts of
greenswitch 0.0.19 are replaced in ``link``; the wire format is parsed in ``protocol`` (no sockets).
"""

from .client import EslClient
from .errors import EslCallHungUp, EslError, EslNotConnected, EslTimeout
from .outbound import OutboundCall, OutboundServer
from .protocol import EslEvent

__all__ = [
    "EslClient",
    "EslEvent",
    "OutboundServer",
    "OutboundCall",
    "EslError",
    "EslCallHungUp",
    "EslNotConnected",
    "EslTimeout",
]

"""careline's NATS bus (design §4): facts on JetStream, request/reply and pushes on core NATS, KV CAS.

Public surface (everything else is private):
    Bus, Consumer, BatchConsumer, Kv, KvEntry, StreamSpec, BucketSpec, new_meta, event_id_of,
    Conflict, AlreadyProcessed, RemoteError, NoResponders, BusError
"""

from careline.core.bus._batch import BatchConsumer
from careline.core.bus._client import Bus
from careline.core.bus._consume import Consumer
from careline.core.bus._envelope import HEADER_MSG_ID, event_id_of, new_meta
from careline.core.bus._errors import AlreadyProcessed, BusError, Conflict, NoResponders, RemoteError
from careline.core.bus._kv import BucketSpec, Kv, KvEntry
from careline.core.bus._streams import StreamSpec

__all__ = [
    "HEADER_MSG_ID",
    "AlreadyProcessed",
    "BatchConsumer",
    "BucketSpec",
    "Bus",
    "BusError",
    "Conflict",
    "Consumer",
    "Kv",
    "KvEntry",
    "NoResponders",
    "RemoteError",
    "StreamSpec",
    "event_id_of",
    "new_meta",
]

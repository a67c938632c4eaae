"""KV buckets with compare-and-set for shared live state (design §3, §4).

Values are bytes (serialize protobuf with `SerializeToString()`). A revision is the bucket stream's
sequence number of the key's latest value; `update(key, value, revision)` succeeds only if the key is
still at `revision`, so of N replicas racing from the same revision exactly one wins.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass

from nats.js import JetStreamContext
from nats.js.api import KeyValueConfig, StorageType
from nats.js.errors import APIError, BucketNotFoundError, KeyNotFoundError, KeyWrongLastSequenceError
from nats.js.kv import KV_DEL, KV_PURGE, KeyValue

from careline.core.bus._errors import Conflict

# JSStreamWrongLastSequenceErr(ConstantErr): the expected-last-subject-sequence check failed.
_WRONG_LAST_SEQUENCE = (10071, 10164)


@dataclass(frozen=True)
class BucketSpec:
    """What a bucket must look like. ttl in seconds (0 = keep forever); history = values kept per key."""

    name: str
    history: int = 1
    ttl: float = 0
    replicas: int = 1


@dataclass(frozen=True)
class KvEntry:
    key: str
    value: bytes | None  # None for a delete seen by a watcher
    revision: int

    @property
    def deleted(self) -> bool:
        return self.value is None


class Kv:
    """One bucket. Get one with `await bus.kv(name)`."""

    def __init__(self, kv: KeyValue, name: str):
        self._kv = kv
        self.name = name

    async def get(self, key: str) -> KvEntry | None:
        """The key's latest value, or None when it does not exist or was deleted."""
        try:
            entry = await self._kv.get(key)
        except KeyNotFoundError:
            return None
        return KvEntry(key, entry.value or b"", entry.revision)

    async def put(self, key: str, value: bytes) -> int:
        """Unconditional write (last writer wins). Returns the new revision."""
        return await self._kv.put(key, value)

    async def create(self, key: str, value: bytes) -> int:
        """Write only if the key is absent (or deleted). Returns the revision; Conflict if present."""
        try:
            return await self._kv.create(key, value)
        except KeyWrongLastSequenceError as err:
            raise Conflict(self.name, key, "already exists") from err

    async def update(self, key: str, value: bytes, revision: int) -> int:
        """Compare-and-set: write only if the key is still at `revision`. New revision, or Conflict."""
        try:
            return await self._kv.update(key, value, last=revision)
        except KeyWrongLastSequenceError as err:
            raise Conflict(self.name, key, f"not at revision {revision}") from err

    async def delete(self, key: str, *, revision: int | None = None) -> None:
        """Delete the key; with `revision`, only if it is still at that revision (else Conflict)."""
        try:
            await self._kv.delete(key, last=revision)
        except APIError as err:
            if err.err_code in _WRONG_LAST_SEQUENCE:
                raise Conflict(self.name, key, f"not at revision {revision}") from err
            raise

    async def keys(self) -> list[str]:
        try:
            return await self._kv.keys()
        except Exception as err:  # nats-py raises NoKeysError for an empty bucket
            if type(err).__name__ == "NoKeysError":
                return []
            raise

    async def watch(self, keys: str = ">", *, include_history: bool = False) -> AsyncIterator[KvEntry]:
        """Current values of matching keys, then every change, forever (deletes have value None).

        Iterate it and break (or cancel) to stop; the underlying consumer is removed either way.
        """
        watcher = await self._kv.watch(keys, include_history=include_history)
        try:
            async for entry in watcher:
                if entry is None:  # nats-py's "initial values delivered" marker
                    continue
                deleted = entry.operation in (KV_DEL, KV_PURGE)
                yield KvEntry(entry.key, None if deleted else (entry.value or b""), entry.revision)
        finally:
            await watcher.stop()


async def open_bucket(js: JetStreamContext, spec: BucketSpec) -> Kv:
    """Bind to the bucket, creating it from `spec` when it does not exist yet (idempotent)."""
    try:
        return Kv(await js.key_value(spec.name), spec.name)
    except BucketNotFoundError:
        pass
    config = KeyValueConfig(
        bucket=spec.name,
        history=spec.history,
        ttl=spec.ttl or None,
        replicas=spec.replicas,
        storage=StorageType.FILE,
    )
    # Two replicas may create it at once; an identical config is accepted by the server.
    return Kv(await js.create_key_value(config), spec.name)

"""Idempotent JetStream stream creation (design §4: facts that must not be lost)."""

from __future__ import annotations

from dataclasses import dataclass, field

from nats.js import JetStreamContext
from nats.js.api import RetentionPolicy, StorageType, StreamConfig
from nats.js.errors import BadRequestError, NotFoundError

# JSStreamNameExistErr: same name, different config.
_STREAM_EXISTS_DIFFERENT = 10058


@dataclass(frozen=True)
class StreamSpec:
    """What a stream must look like. Durations in seconds; 0 means unlimited."""

    name: str
    subjects: tuple[str, ...]
    max_age: float = 0
    duplicate_window: float = 120.0  # Nats-Msg-Id dedupe window
    replicas: int = 1
    # "limits" (kept until max_age) or "workqueue" (a message is removed once its one consumer acked it:
    # an intake stream whose size is its backlog, issue 15).
    retention: str = "limits"
    description: str = field(default="", compare=False)

    def config(self) -> StreamConfig:
        return StreamConfig(
            name=self.name,
            subjects=list(self.subjects),
            storage=StorageType.FILE,
            retention=RetentionPolicy(self.retention),
            max_age=self.max_age or None,
            duplicate_window=self.duplicate_window,
            num_replicas=self.replicas,
            description=self.description or None,
        )


async def ensure_stream(js: JetStreamContext, spec: StreamSpec) -> None:
    """Create the stream, or bring an existing one to `spec` (subjects, limits)."""
    try:
        await js.stream_info(spec.name)
    except NotFoundError:
        try:
            await js.add_stream(spec.config())
            return
        except BadRequestError as err:  # a replica created it between our two calls
            if err.err_code != _STREAM_EXISTS_DIFFERENT:
                raise
    await js.update_stream(spec.config())

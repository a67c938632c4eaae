"""Structured logs that carry the call's uuid (standards: observability).

A context variable holds the current call uuid; every record gets it, so one ``grep <uuid>`` across
services follows a call. Code outside a call context may still pass ``extra={"call_uuid": ...}``.
"""

from __future__ import annotations

import contextlib
import contextvars
import json
import logging
import sys
import time
from collections.abc import Iterator

current_call_uuid: contextvars.ContextVar[str | None] = contextvars.ContextVar("call_uuid", default=None)

_RESERVED = set(vars(logging.makeLogRecord({})))


@contextlib.contextmanager
def call_context(call_uuid: str | None) -> Iterator[None]:
    token = current_call_uuid.set(call_uuid)
    try:
        yield
    finally:
        current_call_uuid.reset(token)


class _CallUuidFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        if not getattr(record, "call_uuid", None):
            record.call_uuid = current_call_uuid.get()
        return True


class JsonFormatter(logging.Formatter):
    def __init__(self, service: str) -> None:
        super().__init__()
        self.service = service

    def format(self, record: logging.LogRecord) -> str:
        doc = {
            "ts": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created))
            + f".{int(record.msecs):03d}Z",
            "level": record.levelname.lower(),
            "service": self.service,
            "logger": record.name,
            "msg": record.getMessage(),
        }
        for key, value in vars(record).items():
            if key not in _RESERVED and key not in doc and value is not None:
                doc[key] = value if isinstance(value, str | int | float | bool) else repr(value)
        if record.exc_info:
            doc["exc"] = self.formatException(record.exc_info)
        return json.dumps(doc, ensure_ascii=False)


def setup_logging(service: str, level: str = "INFO", json_lines: bool = True) -> None:
    """Configure the root logger once per process: JSON lines to stderr, call uuid on every record."""
    handler = logging.StreamHandler(sys.stderr)
    if json_lines:
        handler.setFormatter(JsonFormatter(service))
    else:
        handler.setFormatter(
            logging.Formatter("%(asctime)s %(levelname)s %(name)s [%(call_uuid)s] %(message)s")
        )
    handler.addFilter(_CallUuidFilter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())

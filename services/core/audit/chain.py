"""The hash chain (issue 9 §3): each row's hash covers its fields and the previous row's hash.

``row_hash = sha256(prev_hash || "\\n" || canonical JSON of the fields)``; the first row's predecessor is
GENESIS. Altering a row changes its hash; removing one leaves its successor pointing at a hash that is
not the row before it. Both are found by ``careline.core.audit.verify``.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Mapping

GENESIS = "0" * 64
HASHED_FIELDS = (
    "at",
    "service",
    "actor",
    "actor_roles",
    "token_id",
    "action",
    "target",
    "outcome",
    "source",
    "detail",
)


def canonical_time(at: dt.datetime) -> str:
    """UTC with microseconds, the same whatever the database hands back (SQLite gives naive UTC)."""
    aware = at if at.tzinfo else at.replace(tzinfo=dt.UTC)
    return aware.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def canonical_detail(detail: Mapping | None) -> str:
    return json.dumps(
        dict(detail or {}), sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str
    )


def row_hash(prev_hash: str, fields: Mapping[str, object]) -> str:
    values = {name: fields[name] for name in HASHED_FIELDS}
    values["at"] = canonical_time(values["at"])  # type: ignore[arg-type]
    body = json.dumps(values, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(f"{prev_hash}\n{body}".encode()).hexdigest()

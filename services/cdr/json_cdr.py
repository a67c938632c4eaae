"""FreeSWITCH mod_json_cdr documents read as the headers the CDR mapping reads (issue 15, docs/adr/0002).

mod_json_cdr posts (or spools to its err-log-dir) one JSON document per leg when the leg is reported: the
channel's variables, its channel data and its caller profiles. This module turns one into the same small
header mapping the ESL intake keeps (``careline.cdr.mapping.READS``), so a leg that arrives both ways maps to
the same CDR and is stored once (same Nats-Msg-Id, same primary key).

What the real module writes (switch_ivr_generate_json_cdr): ``variables`` (names without ``variable_``;
URL-encoded unless ``encode-values`` is false — we ask for false and decode only if told), ``channel_data``
(``direction``), one ``callflow`` object per caller profile, newest first, all under the SAME key (cJSON
adds duplicates), each with ``profile_index``, ``caller_profile`` and ``times`` (µs).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from urllib.parse import parse_qs, unquote

from careline.cdr.mapping import READS

_VARIABLES = tuple(key for key in READS if key.startswith("variable_"))
# caller profile field -> the ESL header FreeSWITCH fills from it
_PROFILE = {
    "caller_id_number": "Caller-Caller-ID-Number",
    "ani": "Caller-ANI",
    "destination_number": "Caller-Destination-Number",
    "rdnis": "Caller-RDNIS",
    "uuid": "Caller-Unique-ID",
    "orig_caller_id_number": "Caller-Orig-Caller-ID-Number",
}
_TIMES = {
    "created_time": "Caller-Channel-Created-Time",
    "answered_time": "Caller-Channel-Answered-Time",
    "hangup_time": "Caller-Channel-Hangup-Time",
}


class JsonCdrError(ValueError):
    """Not a mod_json_cdr document (or not one we can take a leg from)."""


def _first_callflow(pairs: list[tuple[str, object]]) -> dict:
    """object_pairs_hook: keep the FIRST of repeated keys (the newest callflow; json keeps the last)."""
    out: dict = {}
    for key, value in pairs:
        out.setdefault(key, value)
    return out


def load(body: bytes | str, content_type: str = "application/json") -> dict:
    """The JSON document of a POST body: raw JSON, or ``cdr=<url-encoded JSON>`` (encode=true)."""
    text = body.decode("utf-8", "replace") if isinstance(body, bytes) else body
    if "x-www-form-urlencoded" in content_type or text.startswith("cdr="):
        values = parse_qs(text, keep_blank_values=True).get("cdr")
        if not values:
            raise JsonCdrError("form body without a cdr field")
        text = values[0]
    try:
        doc = json.loads(text, object_pairs_hook=_first_callflow)
    except json.JSONDecodeError as err:
        raise JsonCdrError(f"not JSON: {err}") from None
    if not isinstance(doc, dict) or not isinstance(doc.get("variables"), dict):
        raise JsonCdrError("no variables object: not a mod_json_cdr document")
    return doc


def headers_of(doc: Mapping, *, url_encoded_values: bool = False) -> dict[str, str]:
    """The CDR headers of one mod_json_cdr document (the keys ``careline.cdr.mapping`` reads)."""
    variables = doc.get("variables") or {}
    value = unquote if url_encoded_values else str
    headers: dict[str, str] = {}
    for key in _VARIABLES:
        raw = variables.get(key[len("variable_") :])
        if raw not in (None, ""):
            headers[key] = value(str(raw))
    callflow = doc.get("callflow")
    if isinstance(callflow, list):  # a document someone re-serialised with the duplicates as a list
        callflow = callflow[0] if callflow else None
    callflow = callflow if isinstance(callflow, dict) else {}
    profile = callflow.get("caller_profile") or {}
    for field, header in _PROFILE.items():
        if profile.get(field):
            headers[header] = value(str(profile[field]))
    for field, header in _TIMES.items():
        if (callflow.get("times") or {}).get(field):
            headers[header] = str(callflow["times"][field])
    if callflow.get("profile_index"):
        headers["Caller-Profile-Index"] = str(callflow["profile_index"])
    direction = (doc.get("channel_data") or {}).get("direction")
    if direction:
        headers["Call-Direction"] = str(direction)
    if headers.get("variable_hangup_cause"):
        headers["Hangup-Cause"] = headers["variable_hangup_cause"]
    if doc.get("switchname"):
        headers["FreeSWITCH-Hostname"] = str(doc["switchname"])
    uuid = headers.get("variable_uuid") or headers.get("Caller-Unique-ID")
    if not uuid:
        raise JsonCdrError("document names no leg uuid")
    headers["Unique-ID"] = uuid
    return headers

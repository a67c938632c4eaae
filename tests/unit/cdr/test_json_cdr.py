"""mod_json_cdr documents (issue 15, docs/adr/0002) make the same CDR as the leg's CHANNEL_HANGUP_COMPLETE:
the simulator's document is built from the real captured event, read back by the CDR service's reader, and
mapped; posts in either of mod_json_cdr's encodings, and its repeated "callflow" keys (newest first)."""

from __future__ import annotations

import json
from urllib.parse import quote

import pytest

from careline.cdr.json_cdr import JsonCdrError, headers_of, load
from careline.cdr.mapping import cdr_from_headers
from careline.switchsim.endpoints.json_cdr import document
from careline.switchsim.wire.event import Event
from tests.unit.cdr.test_mapping import real_hangup_complete


@pytest.fixture(scope="module")
def real():
    return real_hangup_complete()


def test_the_document_of_a_leg_maps_to_the_cdr_of_its_event(real):
    doc = document(Event("CHANNEL_HANGUP_COMPLETE", list(real.items())))
    text = json.dumps(doc)
    assert cdr_from_headers(headers_of(load(text))) == cdr_from_headers(real)


def test_a_tagged_agent_leg_keeps_its_tags(real):
    tagged = real | {
        "variable_careline_call_id": "caller-leg",
        "variable_careline_queue": "general",
        "variable_careline_agent": "1001",
        "Call-Direction": "outbound",
        "variable_bridge_uuid": "caller-leg",
    }
    doc = document(Event("CHANNEL_HANGUP_COMPLETE", list(tagged.items())))
    cdr = cdr_from_headers(headers_of(load(json.dumps(doc))))
    assert (cdr.call_id, cdr.queue, cdr.agent, cdr.direction) == ("caller-leg", "general", "1001", "outbound")
    assert cdr == cdr_from_headers(tagged)


def test_form_encoded_post_and_the_newest_of_repeated_callflows(real):
    doc = document(Event("CHANNEL_HANGUP_COMPLETE", list(real.items())))
    newest = json.dumps(doc["callflow"])
    before_transfer = {"profile_index": "0", "caller_profile": {"destination_number": "x"}}
    older = json.dumps(doc["callflow"] | before_transfer)
    body = json.dumps({k: v for k, v in doc.items() if k != "callflow"})[:-1]
    text = f'{body},"callflow":{newest},"callflow":{older}}}'  # cJSON writes duplicate keys
    headers = headers_of(load("cdr=" + quote(text), "application/x-www-form-urlencoded"))
    assert headers["Caller-Destination-Number"] == real["Caller-Destination-Number"]
    assert cdr_from_headers(headers) == cdr_from_headers(real)


@pytest.mark.parametrize("body", ["not json", "[]", '{"variables": 1}', '{"variables": {}}'])
def test_what_is_not_a_leg_is_refused(body):
    with pytest.raises(JsonCdrError):
        headers_of(load(body))

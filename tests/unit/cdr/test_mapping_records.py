"""Records right (issue 8 part 5, R-CDR1): the number dialled survives transfers, legs careline creates
are linked to their call and keep a readable caller ID. Checked on the real captured events (b2: an
originated leg transferred once; e: legs joined by uuid_bridge) and on what careline's transfers do."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from careline.cdr.mapping import READS, cdr_from_headers

TRACES = Path(__file__).resolve().parents[2] / "data" / "fs-traces"


def hangups(name: str) -> dict[str, dict[str, str]]:
    """Every CHANNEL_HANGUP_COMPLETE of a json capture, by leg uuid."""
    found = {}
    for line in (TRACES / name).read_text().splitlines():
        entry = json.loads(line)
        data = entry.get("data") or ""
        if entry["dir"] != "recv" or "CHANNEL_HANGUP_COMPLETE" not in data:
            continue
        event = json.loads(data.split("\n\n", 1)[1])
        if event.get("Event-Name") == "CHANNEL_HANGUP_COMPLETE":
            found[event["Unique-ID"]] = {k: str(v) for k, v in event.items()}
    return found


def test_real_originated_leg_transferred_once_keeps_its_first_destination():
    (leg,) = hangups("b2_originate_sofia_to_sipp_uas.json.jsonl").values()
    assert leg["Caller-Destination-Number"] == "9101"  # where the transfer took it
    cdr = cdr_from_headers(leg)
    assert cdr.destination_number == "uas"  # the number dialled
    assert cdr.last_destination == "9101"
    assert cdr.caller_number == "2003"  # origination_caller_id_number, not the far end's "uas"


def test_real_uuid_bridged_legs_keep_the_number_dialled():
    legs = hangups("e_uuid_bridge.json.jsonl")
    assert legs
    for leg in legs.values():
        assert leg["Caller-Profile-Index"] == "2"  # uuid_bridge gave them a second caller profile
        assert cdr_from_headers(leg).destination_number == "9103"


def test_real_outbound_loopback_leg_keeps_the_caller_id_it_was_given():
    legs = hangups("b_originate_loopback.json.jsonl").values()
    (a_leg,) = [leg for leg in legs if leg["Call-Direction"] == "outbound"]
    assert a_leg["Caller-Caller-ID-Number"] == "default"
    assert cdr_from_headers(a_leg).caller_number == "2001"


def _caller_after(*transfers: str, **extra: str) -> dict[str, str]:
    """A caller leg that dialled 95169, then was moved by careline's transfers."""
    leg = {
        "Event-Name": "CHANNEL_HANGUP_COMPLETE",
        "Unique-ID": "caller",
        "Call-Direction": "inbound",
        "Caller-Caller-ID-Number": "13900000001",
        "Caller-Destination-Number": transfers[-1] if transfers else "95169",
        "Caller-Profile-Index": str(len(transfers) + 1),
        "variable_start_uepoch": "1795640000000000",
        "variable_end_uepoch": "1795640060000000",
    }
    if transfers:
        entries = [f"17956400{i}:x:bl_xfer:{t}/default/XML" for i, t in enumerate(transfers)]
        leg["variable_transfer_history"] = entries[0] if len(entries) == 1 else "ARRAY::" + "|:".join(entries)
        leg["Caller-RDNIS"] = ([("95169")] + list(transfers))[-2]
    leg.update(extra)
    return leg


@pytest.mark.parametrize(
    "transfers", [(), ("careline_after_ivr",), ("careline_after_ivr", "careline-acd-hold")]
)
def test_sip_caller_keeps_the_number_dialled_through_transfers(transfers):
    cdr = cdr_from_headers(_caller_after(*transfers, variable_sip_req_user="95169"))
    assert cdr.destination_number == "95169"
    assert cdr.last_destination == (transfers[-1] if transfers else "95169")


@pytest.mark.parametrize("var", ["variable_careline_entry_number", "variable_careline_dialed_number"])
def test_the_dialplans_entry_number_wins(var):
    # freeswitch-conf/dialplan/public.xml sets careline_entry_number=$1 before the IVR's socket.
    leg = _caller_after(
        "careline_after_ivr", "careline-acd-hold", **{var: "95169", "variable_sip_req_user": "x"}
    )
    assert cdr_from_headers(leg).destination_number == "95169"


def test_without_sip_one_transfer_is_undone_by_the_rdnis():
    assert cdr_from_headers(_caller_after("careline_after_ivr")).destination_number == "95169"


def test_without_sip_or_dialplan_help_two_transfers_leave_the_last_destination():
    # Nothing in the event says what was dialled: the dialplan's careline_dialed_number is needed.
    leg = _caller_after("careline_after_ivr", "careline-acd-hold")
    assert cdr_from_headers(leg).destination_number == "careline-acd-hold"


def test_a_leg_careline_created_is_linked_to_its_call_and_says_what_it_is():
    eavesdrop = {
        "Event-Name": "CHANNEL_HANGUP_COMPLETE",
        "Unique-ID": "sup-leg",
        "Call-Direction": "outbound",
        "Caller-Caller-ID-Number": "0000000000",
        "Caller-Orig-Caller-ID-Number": "13900000001",
        "variable_origination_caller_id_number": "13900000001",
        "Caller-Destination-Number": "2001",
        "variable_careline_call_id": "caller",
        "variable_careline_leg": "eavesdrop",
        "variable_start_uepoch": "1795640000000000",
    }
    cdr = cdr_from_headers(eavesdrop)
    assert (cdr.call_id, cdr.leg_kind, cdr.caller_number) == ("caller", "eavesdrop", "13900000001")


def test_stored_columns_exclude_what_the_table_lacks():
    cdr = cdr_from_headers(_caller_after("careline_after_ivr", variable_sip_req_user="95169"))
    assert "last_destination" not in cdr.as_dict() and "leg_kind" not in cdr.as_dict()
    assert cdr.as_full_dict()["last_destination"] == "careline_after_ivr"


def test_every_header_read_is_listed():
    """READS is what an intake that trims events must keep: mapping only the listed headers gives the
    same record as mapping the whole event."""
    for name in ("b2_originate_sofia_to_sipp_uas.json.jsonl", "e_uuid_bridge.json.jsonl"):
        for leg in hangups(name).values():
            trimmed = {k: v for k, v in leg.items() if k in READS}
            assert cdr_from_headers(trimmed) == cdr_from_headers(leg)

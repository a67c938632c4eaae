"""What every leg the ACD creates carries (issue 8 part 5 "records right", design §3, §6).

Each originate (agent offer, consult, conference, callback, outbound call, the supervisor's eavesdrop)
sets, as ``{…}`` variables of the new leg:

- ``careline_call_id``: the call's id (the caller leg's uuid; for an outbound call or a callback, the
  dialled number's leg), so the CDR of the leg is linked to its call (careline.cdr.mapping);
- ``careline_leg``: what the leg is (``offer``, ``consult``, ``conference``, ``callback``, ``outbound``,
  ``eavesdrop``);
- ``origination_caller_id_number`` / ``_name``: a caller ID a person can read. Without them FreeSWITCH
  gives a leg originated outside a session the caller ID ``0000000000`` (the eavesdrop leg did).

Values come from callers, agents' names and settings, so each is escaped (design §6): only letters
(any script), digits and ``_.-+:@/#*!~`` are kept — no ``$``, so nothing is expanded; no ``,{}[]'``, so
nothing ends the variable list — and blanks become ``-`` ("Supervisor-4001"): ``originate`` splits its
line on blanks before it reads the variables (the simulator always; quoting on the real switch was not
relied on).
"""

from __future__ import annotations

_PUNCTUATION = frozenset("_.-+:@/#*!~")
UNKNOWN_NUMBER = "unknown"


def value(text: object) -> str:
    """One channel-variable value, safe inside ``{…}``."""
    words = ("".join(c for c in word if c.isalnum() or c in _PUNCTUATION) for word in str(text).split())
    return "-".join(w for w in words if w)


def dial_vars(variables: dict[str, str]) -> str:
    """``{k=v,…}`` for a dial string; empty values are left out (FreeSWITCH would set them to "")."""
    pairs = [(k, value(v)) for k, v in variables.items()]
    return "{" + ",".join(f"{k}={v}" for k, v in pairs if v) + "}"


def leg_vars(call_id: str, kind: str, caller_number: str, caller_name: str, **extra: str) -> dict[str, str]:
    """The variables that tie a new leg to its call and give it a readable caller ID."""
    number = caller_number or UNKNOWN_NUMBER
    return {
        "careline_call_id": call_id,
        "careline_leg": kind,
        "origination_caller_id_number": number,
        "origination_caller_id_name": caller_name or number,
        **extra,
    }

"""Flow validation names the problem (R-IVR4): each kind of broken flow is refused with its own message;
the bundled hospital flow and the published JSON Schema are sound."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from pydantic import ValidationError

from careline.ivr.defaults_loader import hospital_bundle
from careline.ivr.flowdef import FlowDefinition, flow_schema
from careline.ivr.validate import validate

HUMAN = {"type": "transfer", "queue": "general"}
SCHEMA_FILE = Path(__file__).resolve().parents[3] / "docs" / "ivr" / "flow.schema.json"


def _problems(nodes, start="main", **kw):
    flow = FlowDefinition.model_validate({"start": start, "nodes": {"human": HUMAN, **nodes}})
    return validate(flow, **kw)


MENU = {"type": "menu", "prompt": "say:Press 1.", "keys": {"1": "human"}}


@pytest.mark.parametrize(
    ("nodes", "kw", "message"),
    [
        (
            {"main": {**MENU, "keys": {"1": "apointments"}}},
            {},
            "node 'main': key 1 goes to unknown node 'apointments'",
        ),
        ({"main": MENU, "orphan": {"type": "hangup"}}, {}, "node 'orphan' is unreachable from start 'main'"),
        (
            {"main": {**MENU, "prompt": "menu_x"}},
            {"prompt_exists": lambda n: False},
            "node 'main': prompt 'menu_x' does not exist",
        ),
        (
            {
                "main": {"type": "play", "prompts": ["say:a"], "next": "again"},
                "again": {"type": "play", "prompts": ["say:b"], "next": "main"},
            },
            {},
            "loop with no input: main -> again -> main (add a menu or collect node)",
        ),
        (
            {"main": {**MENU, "on_fail": "bye"}, "bye": {"type": "hangup"}},
            {},
            "node 'main': on_fail must reach a human, not hang up (R-IVR5)",
        ),
        (
            {"main": {"type": "subflow", "flow": "nope", "next": "human"}},
            {"flow_exists": lambda n: False},
            "node 'main': sub-flow 'nope' is not a published flow",
        ),
        (
            {"main": MENU, "human": {"type": "hangup"}},
            {},
            "human node 'human' must be a transfer to an ACD queue",
        ),
    ],
)
def test_each_broken_flow_is_refused_with_a_named_problem(nodes, kw, message):
    assert message in _problems(nodes, **kw)


def test_start_must_exist():
    assert "start node 'begin' does not exist" in _problems({"main": MENU}, start="begin")


def test_a_loop_through_a_menu_is_fine():
    nodes = {
        "main": {**MENU, "keys": {"1": "info"}},
        "info": {"type": "play", "prompts": ["say:x"], "next": "main"},
    }
    assert _problems(nodes) == []


@pytest.mark.parametrize(
    "node",
    [
        {**MENU, "keys": {"0": "human"}},  # 0 is global
        {**MENU, "keys": {"*": "human"}},  # * is global
        {**MENU, "retries": 3},  # two failures reach a human
        {"type": "collect", "prompt": "p", "var": "x", "regex": "(", "next": "human"},
        {"type": "teleport", "next": "human"},
        {"type": "menu", "keys": {"1": "human"}},  # missing prompt
    ],
)
def test_schema_level_problems_are_refused(node):
    with pytest.raises(ValidationError):
        FlowDefinition.model_validate({"start": "main", "nodes": {"main": node, "human": HUMAN}})


def test_the_bundled_hospital_flow_is_sound():
    bundle = hospital_bundle()
    assert validate(bundle.definition, prompt_exists=lambda name: name in bundle.prompts) == []


def test_published_schema_is_current():
    """docs/ivr/flow.schema.json is what `scripts/export_flow_schema.py` writes."""
    assert json.loads(SCHEMA_FILE.read_text()) == flow_schema()

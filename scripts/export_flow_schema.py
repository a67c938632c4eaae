"""Write the IVR flow JSON Schema to docs/ivr/flow.schema.json (R-IVR4; tests/unit/ivr/test_validate.py
fails when the flow model changes without it)."""

from __future__ import annotations

import json
from pathlib import Path

from careline.ivr.flowdef import flow_schema

OUT = Path(__file__).resolve().parent.parent / "docs" / "ivr" / "flow.schema.json"

if __name__ == "__main__":
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps(flow_schema(), indent=2, sort_keys=True, ensure_ascii=False) + "\n")

"""Write each service's OpenAPI document to docs/api/<service>.json (design §6).

Integrators read these files; tests/unit/test_openapi_fresh.py fails when a route changes without them.
`--check` compares instead of writing. Building an app opens nothing (clients open in the lifespan).
"""

from __future__ import annotations

import argparse
import importlib
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "docs" / "api"
SERVICES = ("acd", "ivr", "cdr", "crm", "billing")


def build_app(service: str):
    """The service's app with dev settings (prod, the default, would want real secrets; none is used)."""
    settings = importlib.import_module("careline.cli").settings_class(service)(env="dev")
    return importlib.import_module(f"careline.{service}.app").create_app(settings)


def openapi_text(service: str) -> str:
    app = build_app(service)
    return json.dumps(app.openapi(), indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--check", action="store_true", help="fail if docs/api is stale")
    args = parser.parse_args(argv)
    stale = []
    OUT.mkdir(parents=True, exist_ok=True)
    for service in SERVICES:
        path = OUT / f"{service}.json"
        text = openapi_text(service)
        if args.check:
            if not path.exists() or path.read_text() != text:
                stale.append(str(path.relative_to(ROOT)))
        else:
            path.write_text(text)
    if stale:
        print("stale OpenAPI documents (run python scripts/export_openapi.py):", *stale, sep="\n  ")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""docs/api/<service>.json matches what each service serves (design §6: OpenAPI exported and kept fresh)."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
spec = importlib.util.spec_from_file_location("export_openapi", ROOT / "scripts" / "export_openapi.py")
export_openapi = importlib.util.module_from_spec(spec)
spec.loader.exec_module(export_openapi)


@pytest.mark.parametrize("service", export_openapi.SERVICES)
def test_openapi_document_is_fresh(service):
    path = ROOT / "docs" / "api" / f"{service}.json"
    assert path.exists(), f"missing {path}; run python scripts/export_openapi.py"
    assert path.read_text() == export_openapi.openapi_text(service), (
        f"{path} is stale; run python scripts/export_openapi.py"
    )


def test_every_service_route_is_versioned():
    for service in export_openapi.SERVICES:
        paths = export_openapi.build_app(service).openapi()["paths"]
        assert paths, f"{service} exposes no API"
        assert all(p.startswith("/v1/") for p in paths), f"{service}: unversioned routes {sorted(paths)}"

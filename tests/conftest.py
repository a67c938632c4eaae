"""Fixtures are split by area (one module each, owned by that area) and loaded as plugins."""

import secrets

import pytest

pytest_plugins = [
    "tests.fixtures.nats",
    "tests.fixtures.db",
    "tests.fixtures.switch",
    "tests.fixtures.services",
    "tests.fixtures.billing",
]


@pytest.fixture(autouse=True)
def _own_cdr_intake_site(monkeypatch):
    """Every test's CDR service (in-process or a `careline` subprocess, which inherits the environment)
    gets its own intake site on the session's shared nats-server, as two hospitals' CDR databases on one
    NATS would: legs one test left on the CDR_INTAKE work queue never land in another test's database."""
    monkeypatch.setenv("CARELINE_CDR_INTAKE_SITE", f"t{secrets.token_hex(4)}")

"""Fixtures are split by area (one module each, owned by that area) and loaded as plugins."""

pytest_plugins = [
    "tests.fixtures.nats",
    "tests.fixtures.db",
    "tests.fixtures.switch",
    "tests.fixtures.services",
    "tests.fixtures.billing",
]

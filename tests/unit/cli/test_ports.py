"""Every service has its own default HTTP port (issue 8: all defaulted to 8000, so five services started as
the README says collided), and the README and docs/ops/ports.md say which."""

from __future__ import annotations

from pathlib import Path

from careline import cli

ROOT = Path(__file__).resolve().parents[3]
EXPECTED = {"acd": 8101, "ivr": 8102, "cdr": 8103, "crm": 8104, "billing": 8105}


def _defaults(monkeypatch) -> dict[str, int]:
    for service in cli.SERVICES:
        monkeypatch.delenv(f"CARELINE_{service.upper()}_HTTP_PORT", raising=False)
        monkeypatch.setenv(f"CARELINE_{service.upper()}_ENV", "dev")  # prod would want real secrets
    return {service: cli._settings_for(service).http_port for service in cli.SERVICES}


def test_each_service_has_its_own_default_port(monkeypatch):
    ports = _defaults(monkeypatch)
    assert ports == EXPECTED
    ivr = cli._settings_for("ivr")
    taken = {*ports.values(), ivr.socket_port, ivr.esl_port}
    assert len(taken) == len(ports) + 2  # no HTTP port is the IVR's socket or the switch's ESL port


def test_the_environment_still_overrides_the_port(monkeypatch):
    monkeypatch.setenv("CARELINE_CRM_ENV", "dev")
    monkeypatch.setenv("CARELINE_CRM_HTTP_PORT", "9999")
    assert cli._settings_for("crm").http_port == 9999


def test_readme_and_ops_docs_list_the_ports():
    readme = (ROOT / "README.md").read_text()
    row = next(line for line in readme.splitlines() if line.startswith("| HTTP port"))
    assert [int(cell) for cell in row.strip("|").split("|")[1:]] == list(EXPECTED.values())
    ports_doc = (ROOT / "docs" / "ops" / "ports.md").read_text()
    for service, port in EXPECTED.items():
        assert f"| {service} HTTP | {port} |" in ports_doc
    assert "8084" in readme and "8084" in ports_doc  # the IVR's outbound socket

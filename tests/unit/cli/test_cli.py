"""The ``careline`` console command (design §1, issue 8): the simulator's entry point is found however the
simulator package is laid out, and ``careline crm load-demo`` loads the demo hospital into the database a
running CRM uses (a command, not a Python call)."""

from __future__ import annotations

import sqlite3
import sys
import types

import pytest

from careline import cli


def _fake_package(monkeypatch, main=None, submodules=None):
    package = types.ModuleType("careline.switchsim")
    package.__path__ = []  # a package, so submodules resolve from sys.modules
    if main is not None:
        package.main = main
    monkeypatch.setitem(sys.modules, "careline.switchsim", package)
    for name in ("cli", "__main__"):
        monkeypatch.delitem(sys.modules, f"careline.switchsim.{name}", raising=False)
    for name, module_main in (submodules or {}).items():
        module = types.ModuleType(f"careline.switchsim.{name}")
        module.main = module_main
        monkeypatch.setitem(sys.modules, f"careline.switchsim.{name}", module)


def test_sim_uses_the_packages_main_when_it_exports_one(monkeypatch):
    seen = []
    _fake_package(monkeypatch, main=lambda argv: seen.append(argv) or 0)
    assert cli.main(["sim", "--esl-port", "0"]) == 0
    assert seen == [["--esl-port", "0"]]


def test_sim_falls_back_to_the_packages_dunder_main(monkeypatch):
    # Issue 8: `careline sim` failed with "cannot import name 'main'" while main lived in __main__.py.
    seen = []
    _fake_package(monkeypatch, submodules={"__main__": lambda argv: seen.append(argv) or 0})
    assert cli.main(["sim", "--agents", "1001"]) == 0
    assert seen == [["--agents", "1001"]]


def test_sim_says_so_when_no_main_exists(monkeypatch):
    _fake_package(monkeypatch, submodules={"__main__": None})
    with pytest.raises(ImportError, match="no main"):
        cli.main(["sim"])


def test_crm_load_demo_fills_the_crm_database_once(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("CARELINE_CRM_ENV", "test")
    monkeypatch.setenv("CARELINE_CRM_DATA_DIR", str(tmp_path))
    assert cli.main(["crm", "load-demo", "--today", "2027-01-04"]) == 0
    first = capsys.readouterr().out
    assert "departments 4" in first and "patients 5" in first
    assert cli.main(["crm", "load-demo", "--today", "2027-01-04"]) == 0
    assert "(0 new records" in capsys.readouterr().out  # idempotent: a second load adds nothing
    with sqlite3.connect(tmp_path / "crm.db") as db:
        (departments,) = db.execute("select count(*) from crm_departments").fetchone()
    assert departments == 4


def test_crm_load_demo_takes_an_explicit_database_url(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("CARELINE_CRM_ENV", "test")
    url = f"sqlite+aiosqlite:///{tmp_path / 'other.db'}"
    assert cli.main(["crm", "load-demo", "--db-url", url]) == 0
    assert "new records" in capsys.readouterr().out
    assert (tmp_path / "other.db").exists()


@pytest.mark.parametrize("command", ["serve", "db upgrade"])
def test_serve_and_db_accept_every_service_and_refuse_others(command, capsys):
    for service in cli.SERVICES:
        with pytest.raises(SystemExit) as done:  # --help exits 0 once the service name is accepted
            cli.main([*command.split(), service, "--help"])
        assert done.value.code == 0
    with pytest.raises(SystemExit) as done:
        cli.main([*command.split(), "nosuch"])
    assert done.value.code == 2
    assert "invalid choice" in capsys.readouterr().err


@pytest.mark.parametrize("command", [["db", "upgrade", "crm"], ["crm", "load-demo"]])
def test_a_weak_secret_in_prod_stops_a_command_naming_the_variable_never_the_value(
    command, tmp_path, monkeypatch, capsys
):
    """Issue 9 §8: prod is the default; a weak secret is one clear line (no traceback, no value)."""
    monkeypatch.delenv("CARELINE_CRM_ENV", raising=False)
    monkeypatch.setenv("CARELINE_CRM_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("CARELINE_CRM_ESL_PASSWORD", "hospital-password-TAIL42")
    monkeypatch.setenv("CARELINE_CRM_JWT_SECRET", "Zq8#vN2!pL5xR7wT9kM3")
    with pytest.raises(SystemExit) as refused:
        cli.main(command)
    message = str(refused.value.code)
    assert "CARELINE_CRM_ESL_PASSWORD" in message and "CARELINE_CRM_ENV=dev" in message
    assert "TAIL42" not in message and "password-" not in message and "JWT_SECRET" not in message
    assert not (tmp_path / "crm.db").exists()

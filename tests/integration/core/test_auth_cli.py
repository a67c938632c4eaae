"""``careline users`` against a configured database (issue 9 §1): the first admin, list, disable, passwd;
no password or hash is ever printed, weak passwords are refused."""

from __future__ import annotations

import io

import pytest

from careline.cli import main
from careline.core import db
from careline.core.auth import store

PASSWORD = "Triage-desk: 4 nurses, 2 doctors"


def run(monkeypatch, capsys, argv: list[str], stdin: str = "") -> tuple[int, str]:
    monkeypatch.setattr("sys.stdin", io.StringIO(stdin))
    code = main(["users", *argv])
    captured = capsys.readouterr()
    return code, captured.out + captured.err


async def find(url: str, name: str):
    engine = db.make_engine(url)
    try:
        async with db.session_factory(engine)() as session:
            return await store.find_user(name, session=session)
    finally:
        await engine.dispose()


def test_users_add_list_disable_passwd(tmp_path, monkeypatch, capsys) -> None:
    url = db.sqlite_url(tmp_path / "users.db")
    code, out = run(
        monkeypatch,
        capsys,
        ["--db-url", url, "add", "zhao", "--role", "admin", "--password-stdin"],
        PASSWORD + "\n",
    )
    assert code == 0, out
    assert "added zhao (admin)" in out
    monkeypatch.setenv("CARELINE_AUTH_DB_URL", url)
    code, out = run(
        monkeypatch,
        capsys,
        ["add", "li.na", "--role", "agent", "--role", "expert", "--extension", "1001", "--password-stdin"],
        PASSWORD + "\n",
    )
    assert code == 0, out
    code, listing = run(monkeypatch, capsys, ["list"])
    assert code == 0
    assert [line.split("\t")[:4] for line in listing.splitlines()] == [
        ["li.na", "agent expert", "1001", "active"],
        ["zhao", "admin", "-", "active"],
    ]
    code, out = run(monkeypatch, capsys, ["disable", "li.na"])
    assert code == 0 and "disabled li.na" in out
    code, out = run(monkeypatch, capsys, ["passwd", "zhao", "--password-stdin"], PASSWORD + " (new)\n")
    assert code == 0, out
    code, listing = run(monkeypatch, capsys, ["list"])
    assert "li.na\tagent expert\t1001\tdisabled" in listing
    for printed in (listing, out):
        assert "Triage" not in printed and "scrypt" not in printed


@pytest.mark.parametrize("weak", ["CHANGE_ME", "password", "1", "password12345678"])
def test_weak_passwords_are_refused_without_being_echoed(tmp_path, monkeypatch, capsys, weak: str) -> None:
    url = db.sqlite_url(tmp_path / "users.db")
    code, out = run(
        monkeypatch,
        capsys,
        ["--db-url", url, "add", "zhao", "--role", "admin", "--password-stdin"],
        weak + "\n",
    )
    assert code == 2
    assert "password refused" in out
    assert weak not in out.replace("password refused", "").replace("careline users", "") or weak == "1"


def test_errors_are_plain_and_exit_2(tmp_path, monkeypatch, capsys) -> None:
    monkeypatch.delenv("CARELINE_AUTH_DB_URL", raising=False)
    code, out = run(monkeypatch, capsys, ["list"])
    assert code == 2 and "CARELINE_AUTH_DB_URL" in out
    url = db.sqlite_url(tmp_path / "users.db")
    code, out = run(monkeypatch, capsys, ["--db-url", url, "disable", "ghost"])
    assert code == 2 and "no user ghost" in out
    args = ["--db-url", url, "add", "zhao", "--role", "admin", "--password-stdin"]
    assert run(monkeypatch, capsys, args, PASSWORD + "\n")[0] == 0
    code, out = run(monkeypatch, capsys, args, PASSWORD + "\n")
    assert code == 2 and "already exists" in out


def test_a_password_is_never_taken_from_a_pipe_without_saying_so(tmp_path, monkeypatch, capsys) -> None:
    url = db.sqlite_url(tmp_path / "users.db")
    code, out = run(monkeypatch, capsys, ["--db-url", url, "add", "zhao", "--role", "admin"], PASSWORD + "\n")
    assert code == 2 and "--password-stdin" in out


async def test_the_added_user_is_in_the_database_with_a_hash(tmp_path, monkeypatch, capsys) -> None:
    url = db.sqlite_url(tmp_path / "users.db")
    import asyncio

    args = ["--db-url", url, "add", "zhao", "--role", "admin", "--password-stdin"]
    code, _ = await asyncio.to_thread(run, monkeypatch, capsys, args, PASSWORD + "\n")
    assert code == 0
    user = await find(url, "zhao")
    assert user.password_hash.startswith("scrypt$") and PASSWORD not in user.password_hash
    await asyncio.to_thread(run, monkeypatch, capsys, ["--db-url", url, "disable", "zhao"])
    engine = db.make_engine(url)
    try:
        async with db.session_factory(engine)() as session:
            from sqlalchemy import text

            from careline.core.audit import verify_chain

            rows = (
                await session.execute(text("SELECT action, target, actor, source, detail FROM audit_log"))
            ).all()
            assert (await verify_chain(session)).ok
    finally:
        await engine.dispose()
    assert [(a, t, s) for a, t, _, s, _ in rows] == [
        ("auth.user.add", "user:zhao", "cli"),
        ("auth.user.disable", "user:zhao", "cli"),
    ]
    assert all(actor.startswith("cli:") for _, _, actor, _, _ in rows)
    assert PASSWORD not in rows[0][4] and '"roles":["admin"]' in rows[0][4]

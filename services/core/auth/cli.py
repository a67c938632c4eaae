"""``careline users`` (issue 9 §1): create the first admin and manage careline's own users.

    careline users add <name> --role admin [--role ...] [--extension 1001] [--password-stdin]
    careline users list
    careline users disable <name>
    careline users passwd <name> [--password-stdin]

The database is ``--db-url`` or ``CARELINE_AUTH_DB_URL``; it is migrated first. A password is read from
standard input (``--password-stdin``, one line) or asked twice on the terminal; it must pass the strength
rule of careline.core.secrets (12 characters at least). Nothing printed ever includes a password or hash.
Every change is written to the audit log of the same database (actor ``cli:<os user>``) in the change's
own transaction.
"""

from __future__ import annotations

import argparse
import asyncio
import getpass
import sys

from careline.core import db
from careline.core.audit.migrate import migrate_audit
from careline.core.audit.writer import AuditEntry, append
from careline.core.auth import store
from careline.core.auth.migrate import migrate_users
from careline.core.auth.passwords import MIN_PASSWORD_LENGTH
from careline.core.auth.roles import Role
from careline.core.auth.settings import AuthSettings
from careline.core.secrets import weak_secret_reason


class CliError(Exception):
    pass


def main(argv: list[str]) -> int:
    args = _parser().parse_args(argv)
    try:
        url = args.db_url or AuthSettings().db_url
        if not url:
            raise CliError("no users database: pass --db-url or set CARELINE_AUTH_DB_URL")
        return asyncio.run(args.func(args, url))
    except (CliError, store.UserExists, store.UnknownUser, ValueError) as exc:
        print(f"careline users: {_describe(exc)}", file=sys.stderr)
        return 2


def _describe(exc: Exception) -> str:
    if isinstance(exc, store.UserExists):
        return f"user {exc} already exists"
    if isinstance(exc, store.UnknownUser):
        return f"no user {exc}"
    return str(exc)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="careline users", description="careline's own users (issue 9)")
    parser.add_argument("--db-url", help="users database (default: CARELINE_AUTH_DB_URL)")
    sub = parser.add_subparsers(dest="users_command", required=True)
    add = sub.add_parser("add", help="add a user")
    add.add_argument("name")
    add.add_argument("--role", action="append", required=True, choices=[r.value for r in Role])
    add.add_argument("--extension", help="the agent's extension")
    add.add_argument("--password-stdin", action="store_true", help="read the password from standard input")
    add.set_defaults(func=_add)
    sub.add_parser("list", help="list users (no secrets)").set_defaults(func=_list)
    disable = sub.add_parser("disable", help="disable a user and revoke their refresh tokens")
    disable.add_argument("name")
    disable.set_defaults(func=_disable)
    passwd = sub.add_parser("passwd", help="set a user's password")
    passwd.add_argument("name")
    passwd.add_argument("--password-stdin", action="store_true")
    passwd.set_defaults(func=_passwd)
    return parser


def _read_password(from_stdin: bool) -> str:
    if from_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    elif sys.stdin.isatty():
        password = getpass.getpass("password: ")
        if getpass.getpass("again: ") != password:
            raise CliError("the passwords differ")
    else:
        raise CliError("no terminal to ask for a password: use --password-stdin")
    reason = weak_secret_reason(password, min_length=MIN_PASSWORD_LENGTH)
    if reason is not None:
        raise CliError(f"password refused: it {reason}")
    return password


async def _with_session(url: str, unit, *, audit: tuple[str, str, dict] | None = None):
    """Run ``unit(session)`` in one transaction; a change is audited in that same transaction.

    ``audit`` = (action, target, detail); the actor is the operating-system user running the command.
    """
    await migrate_users(url)
    if audit is not None:
        await migrate_audit(url)
    engine = db.make_engine(url)
    try:
        async with db.session_factory(engine).begin() as session:
            result = await unit(session)
            if audit is not None:
                action, target, detail = audit
                entry = AuditEntry(
                    action=action, target=target, actor=f"cli:{_os_user()}", source="cli", detail=detail
                )
                await append(session, entry, service="cli")
            return result
    finally:
        await engine.dispose()


def _os_user() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "unknown"


async def _add(args: argparse.Namespace, url: str) -> int:
    password = _read_password(args.password_stdin)

    async def unit(session):
        return await store.add_user(args.name, password, args.role, session=session, extension=args.extension)

    detail = {"roles": sorted(args.role), "extension": args.extension or ""}
    user = await _with_session(url, unit, audit=("auth.user.add", f"user:{args.name}", detail))
    print(f"added {user.username} ({user.roles}) id {user.id}")
    return 0


async def _list(_args: argparse.Namespace, url: str) -> int:
    users = await _with_session(url, lambda session: store.list_users(session=session))
    for user in users:
        state = "disabled" if user.disabled else "active"
        print(f"{user.username}\t{user.roles}\t{user.extension or '-'}\t{state}\t{user.id}")
    return 0


async def _disable(args: argparse.Namespace, url: str) -> int:
    user = await _with_session(
        url,
        lambda session: store.disable_user(args.name, session=session),
        audit=("auth.user.disable", f"user:{args.name}", {}),
    )
    print(f"disabled {user.username}; their refresh tokens are revoked")
    return 0


async def _passwd(args: argparse.Namespace, url: str) -> int:
    password = _read_password(args.password_stdin)
    user = await _with_session(
        url,
        lambda session: store.set_password(args.name, password, session=session),
        audit=("auth.user.password", f"user:{args.name}", {}),
    )
    print(f"password of {user.username} changed")
    return 0

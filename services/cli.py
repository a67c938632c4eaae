"""The one console command, ``careline`` (design §1): one image, the command picks what runs.

careline serve <service>       run a service's HTTP API (and its bus/ESL work) under uvicorn
careline sim [...]             run the FreeSWITCH simulator
careline demo [--calls N] [--duration S]
careline loadgen [--rate R] [--agents N] [--handle-time S] [--patience S] [--duration S]
careline db upgrade <service>  apply a service's migrations to its configured database
careline cdr import <dir>      re-ingest the legs mod_json_cdr spooled while the CDR service was away
careline prompts render [--out DIR] [--lang zh,en]   render the prompts as audio (issue 8)
careline crm load-demo [--db-url URL] [--today YYYY-MM-DD]
                               load the demo hospital into the CRM's database (the one a running
                               ``careline serve crm`` uses: CARELINE_CRM_DB_URL or CARELINE_CRM_DATA_DIR)
"""

from __future__ import annotations

import argparse
import asyncio
import importlib
import sys

from pydantic import ValidationError

SERVICES = ("acd", "ivr", "cdr", "crm", "billing")


def _service_module(name: str, module: str):
    return importlib.import_module(f"careline.{name}.{module}")


def _serve(args: argparse.Namespace) -> int:
    import uvicorn

    from careline.core.log import setup_logging

    settings = _settings_for(args.service)
    setup_logging(args.service, settings.log_level, settings.log_json)
    app = _service_module(args.service, "app").create_app(settings)
    uvicorn.run(
        app,
        host=args.host or settings.http_host,
        port=args.port or settings.http_port,
        log_config=None,
        timeout_graceful_shutdown=30,
    )
    return 0


def settings_class(service: str) -> type:
    module = _service_module(service, "settings")
    return next(
        getattr(module, name)
        for name in dir(module)
        if name.lower() == f"{service}settings" and isinstance(getattr(module, name), type)
    )


def _settings_for(service: str):
    """The service's settings from its environment; a refusal (a weak secret in prod) exits with it."""
    try:
        return settings_class(service)()
    except ValidationError as err:  # a weak secret in prod, say: one clear line, no traceback, no value
        reasons = "; ".join(e["msg"].removeprefix("Value error, ") for e in err.errors())
        raise SystemExit(f"careline {service}: refused to start: {reasons}") from None


def _db_upgrade(args: argparse.Namespace) -> int:
    from careline.core import db

    settings = _settings_for(args.service)
    asyncio.run(db.migrate(settings.database_url, args.service))
    print(f"{args.service}: database at head")
    return 0


def _sim(argv: list[str]) -> int:
    return _switchsim_main()(argv) or 0


def _switchsim_main():
    """The simulator's ``main(argv)`` (issue 8: ``careline sim`` failed with ImportError).

    The package may export ``main`` itself; otherwise it lives in ``careline.switchsim.cli`` or
    ``careline.switchsim.__main__`` (whose run is guarded by ``if __name__ == "__main__"``, so importing it
    starts nothing).
    """
    package = importlib.import_module("careline.switchsim")
    found = getattr(package, "main", None)
    if callable(found):
        return found
    for name in ("careline.switchsim.cli", "careline.switchsim.__main__"):
        try:
            found = getattr(importlib.import_module(name), "main", None)
        except ModuleNotFoundError as exc:
            if exc.name != name:
                raise
            continue
        if callable(found):
            return found
    raise ImportError("careline.switchsim has no main(argv)")


def _crm_load_demo(args: argparse.Namespace) -> int:
    """Load the demo hospital into the CRM's database, idempotently (issue 8; services/crm/demo_data.py).

    The database is the one ``careline serve crm`` uses with the same environment, so this works against
    a running CRM: records already present are skipped, schedules are relative to ``--today``.
    """
    import datetime as dt

    from careline.crm.demo_data import load_demo_hospital_at

    settings = _settings_for("crm")
    db_url = args.db_url or settings.database_url
    today = dt.date.fromisoformat(args.today) if args.today else None
    loaded = asyncio.run(load_demo_hospital_at(db_url, zone=settings.timezone, today=today))
    counts = ", ".join(f"{name} {value}" for name, value in vars(loaded).items())
    print(f"crm: demo hospital loaded ({loaded.total()} new records: {counts})")
    return 0


def _demo(argv: list[str]) -> int:
    from careline.demo import main as demo_main

    return demo_main(argv) or 0


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == ["sim"]:
        return _sim(argv[1:])
    if argv[:1] == ["demo"]:
        return _demo(argv[1:])
    if argv[:1] == ["prompts"]:
        from careline.prompts.cli import main as prompts_main

        return prompts_main(argv[1:])
    if argv[:1] == ["users"]:  # careline users add|list|disable|passwd (issue 9): careline.core.auth.cli
        from careline.core.auth.cli import main as users_main

        return users_main(argv[1:])
    if argv[:2] == ["cdr", "import"]:  # legs mod_json_cdr spooled while careline was away (issue 15)
        from careline.cdr.importer import main as cdr_import_main

        return cdr_import_main(argv[2:])
    if argv[:1] == ["loadgen"]:
        from careline.loadgen import main as loadgen_main

        return loadgen_main(argv[1:])
    parser = argparse.ArgumentParser(prog="careline", description="careline hospital contact center")
    sub = parser.add_subparsers(dest="command", required=True)
    serve = sub.add_parser("serve", help="run one service")
    serve.add_argument("service", choices=SERVICES)
    serve.add_argument("--host")
    serve.add_argument("--port", type=int)
    serve.set_defaults(func=_serve)
    sub.add_parser("sim", help="run the FreeSWITCH simulator (see careline sim --help)")
    sub.add_parser("demo", help="run the demo (see careline demo --help)")
    sub.add_parser("loadgen", help="Poisson calls against the suite (see careline loadgen --help)")
    sub.add_parser("prompts", help="render the prompts as audio (see careline prompts render --help)")
    dbp = sub.add_parser("db", help="database maintenance")
    dbsub = dbp.add_subparsers(dest="db_command", required=True)
    up = dbsub.add_parser("upgrade", help="apply migrations")
    up.add_argument("service", choices=SERVICES)
    up.set_defaults(func=_db_upgrade)
    crm = sub.add_parser("crm", help="CRM maintenance")
    crmsub = crm.add_subparsers(dest="crm_command", required=True)
    demo = crmsub.add_parser("load-demo", help="load the demo hospital into the CRM's database")
    demo.add_argument("--db-url", help="database URL (default: the CRM's settings, CARELINE_CRM_*)")
    demo.add_argument("--today", help="the hospital's date schedules count from (YYYY-MM-DD)")
    demo.set_defaults(func=_crm_load_demo)
    cdr = sub.add_parser("cdr", help="CDR maintenance")
    cdrsub = cdr.add_subparsers(dest="cdr_command", required=True)
    cdrsub.add_parser("import", help="re-ingest mod_json_cdr's spooled legs (careline cdr import --help)")
    args = parser.parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())

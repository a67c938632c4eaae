"""The one console command, ``careline`` (design §1): one image, the command picks what runs.

careline serve <service>       run a service's HTTP API (and its bus/ESL work) under uvicorn
careline sim [...]             run the FreeSWITCH simulator
careline demo [--calls N] [--duration S]
careline loadgen [--rate R] [--agents N] [--handle-time S] [--patience S] [--duration S]
careline db upgrade <service>  apply a service's migrations to its configured database
"""

from __future__ import annotations

import argparse
import asyncio
import importlib
import sys

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


def _settings_for(service: str):
    module = _service_module(service, "settings")
    cls = next(
        getattr(module, name)
        for name in dir(module)
        if name.lower() == f"{service}settings" and isinstance(getattr(module, name), type)
    )
    return cls()


def _db_upgrade(args: argparse.Namespace) -> int:
    from careline.core import db

    settings = _settings_for(args.service)
    asyncio.run(db.migrate(settings.database_url, args.service))
    print(f"{args.service}: database at head")
    return 0


def _sim(argv: list[str]) -> int:
    from careline.switchsim import main as sim_main

    return sim_main(argv) or 0


def _demo(argv: list[str]) -> int:
    from careline.demo import main as demo_main

    return demo_main(argv) or 0


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == ["sim"]:
        return _sim(argv[1:])
    if argv[:1] == ["demo"]:
        return _demo(argv[1:])
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
    dbp = sub.add_parser("db", help="database maintenance")
    dbsub = dbp.add_subparsers(dest="db_command", required=True)
    up = dbsub.add_parser("upgrade", help="apply migrations")
    up.add_argument("service", choices=SERVICES)
    up.set_defaults(func=_db_upgrade)
    args = parser.parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())

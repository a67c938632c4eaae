"""`careline sim` / `python -m careline.switchsim`: run the simulator as a server (design §7)."""

from __future__ import annotations

import argparse
import asyncio

from .endpoints.phones import PhoneBehaviour
from .switch import TRACE_DIALPLAN, Switch, SwitchConfig


def parse_args(argv=None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="careline-switchsim", description="FreeSWITCH ESL simulator")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--esl-port", type=int, default=8021)
    p.add_argument("--password", default="ClueCon")
    p.add_argument("--outbound", default=None, help="HOST:PORT of the IVR's outbound-socket server")
    p.add_argument("--agents", default="", help="comma-separated phone extensions, e.g. 1001,1002")
    p.add_argument("--answer-after", type=float, default=1.0)
    p.add_argument("--time-scale", type=float, default=1.0)
    p.add_argument(
        "--trace-dialplan", action="store_true", help="load the traces' dialplan (9100-9110, 30xx)"
    )
    return p.parse_args(argv)


async def serve(args: argparse.Namespace) -> None:
    sw = Switch(SwitchConfig(host=args.host, esl_port=args.esl_port, password=args.password,
                             time_scale=args.time_scale,
                             dialplan=list(TRACE_DIALPLAN) if args.trace_dialplan else []))  # fmt: skip
    await sw.start()
    if args.outbound:
        host, _, port = args.outbound.rpartition(":")
        sw.set_inbound_socket(host or "127.0.0.1", int(port))
    for ext in filter(None, args.agents.split(",")):
        sw.add_phone(ext.strip(), PhoneBehaviour(answer_after=args.answer_after))
    print(f"switchsim: ESL on {args.host}:{sw.esl_port}", flush=True)
    try:
        await asyncio.Event().wait()
    finally:
        await sw.stop()


def main(argv=None) -> int:
    try:
        asyncio.run(serve(parse_args(argv)))
    except KeyboardInterrupt:
        pass
    return 0

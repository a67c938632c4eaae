"""`careline sim` runs the simulator (issue 8: the README's command failed with ImportError: cannot import
name 'main'); `python -m careline.switchsim` is the same entry (design §7)."""

from __future__ import annotations

import asyncio
import os
import signal
import sys

from careline.cli import main as careline_main
from careline.switchsim import main
from careline.switchsim.cli import parse_args


def test_careline_sim_help_exits_cleanly(capsys):
    try:
        careline_main(["sim", "--help"])
    except SystemExit as e:
        assert e.code == 0
    assert "--esl-port" in capsys.readouterr().out
    assert main is not None


def test_arguments_reach_the_switch():
    args = parse_args(["--esl-port", "0", "--agents", "1001,1002", "--time-scale", "0.5", "--trace-dialplan"])
    assert (args.esl_port, args.agents, args.time_scale, args.trace_dialplan) == (0, "1001,1002", 0.5, True)


async def test_python_m_careline_switchsim_serves_esl():
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "careline.switchsim", "--esl-port", "0", "--password", "s3cret",
        "--agents", "1001", stdout=asyncio.subprocess.PIPE, env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )  # fmt: skip
    try:
        line = (await asyncio.wait_for(proc.stdout.readline(), 20)).decode()
        assert line.startswith("switchsim: ESL on 127.0.0.1:"), line
        port = int(line.rsplit(":", 1)[1])
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        assert await reader.readuntil(b"\n\n") == b"Content-Type: auth/request\n\n"
        writer.write(b"auth s3cret\n\n")
        assert b"+OK accepted" in await reader.readuntil(b"\n\n")
        writer.write(b"api version\n\n")
        head = await reader.readuntil(b"\n\n")
        body = await reader.readexactly(int(head.split(b"Content-Length: ")[1].split(b"\n")[0]))
        assert body.startswith(b"FreeSWITCH Version 1.11.2")
        writer.close()
    finally:
        proc.send_signal(signal.SIGINT)
        assert await asyncio.wait_for(proc.wait(), 10) == 0

"""Every command the README shows runs (issue 8 part 7: `careline sim` as the README showed it failed with
ImportError and no test noticed).

The README is parsed (its fenced blocks and the commands in its inline code); each `careline …` command is
run here as a real subprocess of the installed console script, with the README's own arguments except
ports (from the OS), folders (a temporary one) and durations (short). A command the README gains without a
test here fails `test_every_command_the_readme_shows_is_run_here`.
"""

from __future__ import annotations

import os
import queue
import re
import shlex
import signal
import socket
import sqlite3
import subprocess
import sys
import threading
import time
from contextlib import ExitStack, contextmanager
from pathlib import Path

import httpx
import pytest

ROOT = Path(__file__).resolve().parents[2]
README = ROOT / "README.md"
CARELINE = Path(sys.executable).parent / "careline"

# The careline commands run by a test below, keyed as `command_key` names them.
RUN_HERE = {
    "careline sim",
    "careline serve",
    "careline db upgrade",
    "careline crm load-demo",
    "careline loadgen",
    "careline demo",
    "careline prompts render",
}
# Make targets the README lists: each runs commands tested here or is a suite or tool of its own.
MAKE_TARGETS = {
    "make demo": "sets up the venv and runs `careline demo` (run here)",
    "make test": "is this test suite",
    "make bench": "benchmarks: figures, not pass/fail (bench/)",
    "make bench-real-fs": "a benchmark against a real FreeSWITCH and its mod_callcenter (bench/real_fs/)",
    "make lint": "ruff and buf, run by CI",
    "make proto": "regenerates code; its freshness is tested in tests/unit",
    "make fs-conf-check": "frslint in its own venv; tests/unit/deploy checks the same configuration",
    "make test-pg": "this suite again on a PostgreSQL server",
    "make test-real-fs": "tests/real_fs against a real FreeSWITCH; collected (and skipped) by this suite",
}
COMMAND = re.compile(r"^(?:\.venv/bin/)?(careline|make)\s+\S")


def readme_commands(text: str | None = None) -> list[str]:
    """The commands the README shows, in order, `.venv/bin/` dropped, comments stripped."""
    text = README.read_text(encoding="utf-8") if text is None else text
    lines = []
    for block in re.findall(r"^[ \t]*```[a-z]*\n(.*?)^[ \t]*```", text, re.M | re.S):
        lines += [line.split(" #")[0].strip() for line in block.splitlines()]
    lines += re.findall(r"`([^`\n]+)`", re.sub(r"^[ \t]*```.*?^[ \t]*```", "", text, flags=re.M | re.S))
    found = []
    for line in lines:
        if COMMAND.match(line):
            command = line.removeprefix(".venv/bin/")
            if command not in found:
                found.append(command)
    return found


def command_key(command: str) -> str:
    words = command.split()
    if words[0] == "make" or words[1] not in ("db", "crm", "prompts"):
        return " ".join(words[:2])
    return " ".join(words[:3])


def readme_command(key: str) -> list[str]:
    """The first README command with this key, as argv (without `careline`)."""
    for command in readme_commands():
        if command_key(command) == key:
            return shlex.split(command)[1:]
    pytest.fail(f"the README shows no `{key}` command")


def _with(argv: list[str], **flags: str) -> list[str]:
    """`argv` with each --flag's value replaced (added when absent)."""
    argv = list(argv)
    for name, value in flags.items():
        flag = "--" + name.replace("_", "-")
        if flag in argv:
            argv[argv.index(flag) + 1] = value
        else:
            argv += [flag, value]
    return argv


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def clean_env(tmp_path: Path, **extra: str) -> dict[str, str]:
    """The environment without anyone's CARELINE_* settings, plus `extra`."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("CARELINE_")}
    env["HOME"] = str(tmp_path)
    return {**env, **extra}


def run(argv: list[str], tmp_path: Path, env: dict[str, str], timeout: float) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(CARELINE), *argv], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=timeout
    )


class Background:
    """A console command running in the background, its output lines readable as they come."""

    def __init__(self, argv: list[str], cwd: Path, env: dict[str, str]):
        self.argv = argv
        self.proc = subprocess.Popen(
            [str(CARELINE), *argv],
            cwd=cwd,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            start_new_session=True,
        )
        self.lines: queue.Queue[str] = queue.Queue()
        self.seen: list[str] = []
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        for line in self.proc.stdout:
            self.lines.put(line)

    def wait_for_line(self, pattern: str, within: float) -> re.Match:
        end = time.monotonic() + within
        while time.monotonic() < end:
            try:
                line = self.lines.get(timeout=0.1)
            except queue.Empty:
                assert self.proc.poll() is None, f"{self.argv} exited:\n{''.join(self.seen)}"
                continue
            self.seen.append(line)
            if match := re.search(pattern, line):
                return match
        raise AssertionError(
            f"{self.argv}: no line matching {pattern!r} in {within} s:\n{''.join(self.seen)}"
        )

    def stop(self, within: float = 40) -> int:
        """SIGINT (Ctrl-C, as an operator stops it), the exit status once it has stopped."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
        try:
            return self.proc.wait(timeout=within)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            raise AssertionError(f"{self.argv} did not stop within {within} s") from None


@contextmanager
def background(argv: list[str], cwd: Path, env: dict[str, str]):
    proc = Background(argv, cwd, env)
    try:
        yield proc
    finally:
        if proc.proc.poll() is None:
            proc.proc.kill()
            proc.proc.wait()


def esl_auth(port: int, password: str) -> str:
    """Log in to an event socket; the reply text to `auth`."""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as s:
        greeting = s.recv(4096).decode()
        assert "Content-Type: auth/request" in greeting, greeting
        s.sendall(f"auth {password}\n\n".encode())
        reply = b""
        while b"\n\n" not in reply:
            chunk = s.recv(4096)
            assert chunk, "the event socket closed"
            reply += chunk
    return re.search(r"Reply-Text: (.*)", reply.decode()).group(1)


# --- the README itself ------------------------------------------------------------------------------------


def test_the_readme_parser_finds_commands_in_blocks_and_inline_code():
    text = "x `make lint` y `careline serve <a|b>` z `CARELINE_X`\n```sh\nmake demo   # c\n```\n"
    text += "   ```sh\n   .venv/bin/careline db upgrade crm\n   ```\n"
    assert readme_commands(text) == [
        "make demo",
        "careline db upgrade crm",
        "make lint",
        "careline serve <a|b>",
    ]
    assert command_key("careline crm load-demo --today 2027-01-04") == "careline crm load-demo"


def test_every_command_the_readme_shows_is_run_here():
    keys = [command_key(c) for c in readme_commands()]
    unknown = sorted({k for k in keys if k not in RUN_HERE and k not in MAKE_TARGETS})
    assert not unknown, (
        f"README commands no test runs: {unknown} (add them to tests/e2e/test_readme_commands.py)"
    )
    assert RUN_HERE <= set(keys)  # the parser still finds every command tested below


# --- careline sim -----------------------------------------------------------------------------------------


@contextmanager
def readme_sim(tmp_path: Path):
    """`careline sim` with the README's arguments, on ports from the OS: (process, ESL port, password)."""
    argv = readme_command("careline sim")
    port = free_port()
    argv = _with(argv, esl_port=str(port), outbound=f"127.0.0.1:{free_port()}")
    password = argv[argv.index("--password") + 1]
    with background(argv, tmp_path, clean_env(tmp_path)) as sim:
        sim.wait_for_line(rf"ESL on 127\.0\.0\.1:{port}", within=30)
        yield sim, port, password


def test_careline_sim_as_the_readme_shows_it(tmp_path):
    with readme_sim(tmp_path) as (sim, port, password):
        assert esl_auth(port, password) == "+OK accepted"
        assert esl_auth(port, "not-" + password) == "-ERR invalid"
        assert sim.stop() == 0


# --- careline serve, db upgrade and crm load-demo ---------------------------------------------------------


def _services() -> list[str]:
    """The services `careline serve <acd|ivr|…>` names in the README."""
    argv = readme_command("careline serve")
    return argv[1].strip("<>").split("|")


def test_careline_db_upgrade_for_every_service(tmp_path):
    services = _services()
    settings = {
        f"CARELINE_{s.upper()}_{k}": v
        for s in services
        for k, v in [("ENV", "test"), ("DATA_DIR", str(tmp_path / s))]
    }
    env = clean_env(tmp_path, **settings)
    argv = readme_command("careline db upgrade")
    procs = {s: subprocess.Popen([str(CARELINE), *argv[:2], s], cwd=tmp_path, env=env, stdout=subprocess.PIPE,
                                 stderr=subprocess.STDOUT, text=True) for s in services}  # fmt: skip
    for service, proc in procs.items():
        out, _ = proc.communicate(timeout=120)
        assert proc.returncode == 0, out
        assert f"{service}: database at head" in out
        with sqlite3.connect(tmp_path / service / f"{service}.db") as db:
            (version,) = db.execute(f"select version_num from alembic_version_{service}").fetchone()
        assert version


def test_careline_serve_every_service_then_load_the_demo_hospital_into_the_running_crm(tmp_path, nats_url):
    with ExitStack() as stack:
        sim, esl_port, password = stack.enter_context(readme_sim(tmp_path))
        services, ports, env = {}, {}, {}
        for service in _services():
            prefix = f"CARELINE_{service.upper()}_"
            settings = {"ENV": "test", "DATA_DIR": str(tmp_path / service), "NATS_URL": nats_url,
                        "ESL_HOST": "127.0.0.1", "ESL_PORT": str(esl_port), "ESL_PASSWORD": password,
                        "LOG_JSON": "false", "SOCKET_PORT": "0"}  # fmt: skip
            env[service] = clean_env(tmp_path, **{prefix + k: v for k, v in settings.items()})
            ports[service] = free_port()
            argv = ["serve", service, "--port", str(ports[service])]
            services[service] = stack.enter_context(background(argv, tmp_path, env[service]))
        for service, port in ports.items():
            _wait_ready(f"http://127.0.0.1:{port}", services[service], within=60)

        # The README's next steps against the running CRM: migrations, then the demo hospital.
        crm = f"http://127.0.0.1:{ports['crm']}"
        assert httpx.get(f"{crm}/v1/departments", timeout=10).json() == []
        upgrade = run(readme_command("careline db upgrade"), tmp_path, env["crm"], timeout=120)
        assert upgrade.returncode == 0 and "crm: database at head" in upgrade.stdout, upgrade.stderr
        load = run(readme_command("careline crm load-demo"), tmp_path, env["crm"], timeout=120)
        assert load.returncode == 0, load.stderr
        assert "departments 4" in load.stdout
        departments = httpx.get(f"{crm}/v1/departments", timeout=10).json()
        assert sorted(d["code"] for d in departments) == ["11", "12", "13", "14"]
        again = run(readme_command("careline crm load-demo"), tmp_path, env["crm"], timeout=120)
        assert "(0 new records" in again.stdout, again.stdout + again.stderr

        for service, proc in services.items():
            assert proc.stop() == 0, f"{service}:\n{''.join(proc.seen)}"
        assert sim.stop() == 0


def _wait_ready(base_url: str, proc: Background, within: float) -> None:
    end = time.monotonic() + within
    last = None
    while time.monotonic() < end:
        assert proc.proc.poll() is None, f"{proc.argv} exited: {proc.proc.returncode}"
        try:
            last = httpx.get(f"{base_url}/readyz", timeout=2)
            if last.status_code == 200:
                assert httpx.get(f"{base_url}/healthz", timeout=2).status_code == 200
                return
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    raise AssertionError(f"{proc.argv} not ready in {within} s: {last and last.text}")


# --- careline loadgen, demo, prompts render ---------------------------------------------------------------


def test_careline_loadgen_as_the_readme_shows_it_but_short(tmp_path):
    argv = _with(readme_command("careline loadgen"), duration="3", time_scale="0.25")
    done = run(argv, tmp_path, clean_env(tmp_path), timeout=240)
    assert done.returncode == 0, done.stdout + done.stderr  # 1 when a call was lost
    assert re.search(r"^lost\s+0$", done.stdout, re.M), done.stdout


def test_careline_demo_as_the_readme_shows_it_but_short(tmp_path):
    argv = _with(readme_command("careline demo"), calls="3", duration="3", time_scale="0.1")
    done = run(argv, tmp_path, clean_env(tmp_path), timeout=240)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "careline demo summary" in done.stdout


def test_careline_prompts_render_as_the_readme_shows_it(tmp_path):
    if run(["prompts", "--help"], tmp_path, clean_env(tmp_path), timeout=60).returncode != 0:
        pytest.skip("`careline prompts` does not exist yet (voice, issue 8 part 3)")
    sounds = tmp_path / "sounds"
    argv = _with(readme_command("careline prompts render"), out=str(sounds))
    done = run(argv, tmp_path, clean_env(tmp_path), timeout=300)
    if done.returncode == 2 and "espeak-ng" in done.stderr and "install" in done.stderr.lower():
        pytest.skip(f"no TTS engine on this machine: {done.stderr.strip()}")
    assert done.returncode == 0, done.stdout + done.stderr
    for rate in (8000, 16000):  # what freeswitch-conf's local_stream://moh and sound_prefix expect
        assert (sounds / "music" / str(rate) / "careline-moh.wav").stat().st_size > 0
        assert list((sounds / "zh" / "cn" / "careline").glob(f"*/{rate}/*.wav"))
        assert list((sounds / "en" / "us" / "careline").glob(f"*/{rate}/*.wav"))

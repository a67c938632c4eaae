"""The real switch under test, given by environment (issue 8 part 1, design §12; docs/dev/real-freeswitch.md).

Without the variables below every test here is skipped, so ``make test`` collects and skips them; with them,
``make test-real-fs`` runs the services in-process against that switch, with sipp for callers and phones.
"""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass

import pytest

VARIABLES = {
    "CARELINE_REAL_FS_ESL": "host:port of the switch's event socket",
    "CARELINE_REAL_FS_ESL_PASSWORD": "its password",
    "CARELINE_REAL_FS_SIP": "host:port of the sip profile callers and phones use",
    "CARELINE_REAL_FS_SIP_DOMAIN": "the directory domain the phones register in",
    "CARELINE_REAL_FS_USER_PASSWORD": "password of the directory users 1001-1010, 2001-2003",
    "CARELINE_REAL_FS_IVR_SOCKET_PORT": "the port the switch's dialplan sends callers to (socket app)",
}


@dataclass(frozen=True)
class RealSwitch:
    esl_host: str
    esl_port: int
    esl_password: str
    sip: str
    domain: str
    user_password: str
    ivr_socket_port: int


def skip_reason() -> str | None:
    missing = [name for name in VARIABLES if not os.environ.get(name)]
    if missing:
        return f"no real FreeSWITCH given (unset: {', '.join(missing)}); see docs/dev/real-freeswitch.md"
    if shutil.which("sipp") is None:
        return "sipp is not installed (Debian: apt-get install sip-tester); it plays callers and phones"
    return None


@pytest.fixture(scope="session")
def real_fs() -> RealSwitch:
    reason = skip_reason()
    if reason:
        pytest.skip(reason)
    esl_host, esl_port = os.environ["CARELINE_REAL_FS_ESL"].rsplit(":", 1)
    return RealSwitch(
        esl_host=esl_host,
        esl_port=int(esl_port),
        esl_password=os.environ["CARELINE_REAL_FS_ESL_PASSWORD"],
        sip=os.environ["CARELINE_REAL_FS_SIP"],
        domain=os.environ["CARELINE_REAL_FS_SIP_DOMAIN"],
        user_password=os.environ["CARELINE_REAL_FS_USER_PASSWORD"],
        ivr_socket_port=int(os.environ["CARELINE_REAL_FS_IVR_SOCKET_PORT"]),
    )


def pytest_collection_modifyitems(config, items) -> None:
    """Skip every test of this folder at collection with the reason, before any fixture starts."""
    reason = skip_reason()
    if not reason:
        return
    marker = pytest.mark.skip(reason=reason)
    for item in items:
        if "tests/real_fs/" in str(item.fspath).replace(os.sep, "/"):
            item.add_marker(marker)

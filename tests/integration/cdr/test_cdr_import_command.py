"""``careline cdr import <dir>`` as an operator runs it after an outage (issue 15, docs/adr/0002): the legs
mod_json_cdr spooled go onto the CDR_INTAKE stream keyed by leg uuid, each file moves to ``imported/`` only
once JetStream stored it, a second run finds nothing new, and a file that is not a CDR is set aside."""

from __future__ import annotations

import json
import os
import subprocess
import sys

from careline import subjects
from careline.switchsim.endpoints.json_cdr import document
from careline.switchsim.wire.event import Event
from tests.unit.cdr.test_mapping import real_hangup_complete


def _careline(*args: str, nats_url: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "CARELINE_CDR_ENV": "test"}
    return subprocess.run(
        [sys.executable, "-m", "careline.cli", *args, "--nats", nats_url],
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
    )


async def test_careline_cdr_import_puts_spooled_legs_on_the_intake_stream_once(tmp_path, nats_url, bus):
    real = real_hangup_complete()
    uuid = real["Unique-ID"]
    spool = tmp_path / "json_cdr"
    spool.mkdir()
    (spool / f"{uuid}.cdr.json").write_text(
        json.dumps(document(Event("CHANNEL_HANGUP_COMPLETE", list(real.items()))))
    )
    (spool / "broken.cdr.json").write_text("{not json")

    first = _careline("cdr", "import", str(spool), nats_url=nats_url)
    assert first.returncode == 1, first.stderr  # one file rejected: the operator must look at it
    assert "1 legs imported, 0 already taken, 1 files rejected" in first.stdout
    assert (spool / "imported" / f"{uuid}.cdr.json").exists()
    assert (spool / "rejected" / "broken.cdr.json").exists()

    js = bus.nc.jetstream()
    stored = (await js.stream_info(subjects.CDR_INTAKE)).state.messages  # the session's server: others too
    site = os.environ["CARELINE_CDR_INTAKE_SITE"]  # the subprocess's CdrSettings read the same
    msg = await js.get_last_msg(subjects.CDR_INTAKE, subjects.cdr_intake_leg(site))
    assert msg.headers["Nats-Msg-Id"] == uuid

    # The same leg spooled again (FreeSWITCH retried): JetStream already has it, nothing is doubled.
    (spool / "imported" / f"{uuid}.cdr.json").replace(spool / f"{uuid}.cdr.json")
    again = _careline("cdr", "import", str(spool), nats_url=nats_url)
    assert again.returncode == 0, again.stderr
    assert "0 legs imported, 1 already taken, 0 files rejected" in again.stdout
    assert (await js.stream_info(subjects.CDR_INTAKE)).state.messages == stored

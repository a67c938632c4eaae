"""mod_json_cdr for the simulator (issue 15; design §7): one JSON document per leg, posted when the leg is
reported, retried, and spooled to ``err_log_dir`` when every try failed — as FreeSWITCH 1.11's module does.

The document is built from the leg's CHANNEL_HANGUP_COMPLETE (which carries every channel variable and the
caller profile, as the real event does), in switch_ivr_generate_json_cdr's shape: ``core-uuid``,
``switchname``, ``channel_data`` (``direction``, ``state``), ``variables`` (names without ``variable_``,
not URL-encoded: ``encode-values`` false), one ``callflow`` (``profile_index``, ``caller_profile``,
``times`` in µs). Posts go to ``<url>?uuid=<leg>`` with ``Content-Type: application/json`` (``encode``
false) and HTTP basic credentials (``cred``); any non-2xx answer or transport error counts as a failure.
Files are named ``<uuid>.cdr.json`` (``a_`` prefix not used), one document and a newline.

Hook (the only one): a reporter is a listener on ``core.listeners`` like an ESL link (``offer(ev)``,
``close()``), so the switch's code is not touched: ``reporter = attach(switch, JsonCdrConfig(url=...))``.
``Switch.stop()`` closes listeners, which waits for posts in flight (or spools them).
"""

from __future__ import annotations

import asyncio
import json
import logging
from dataclasses import dataclass
from pathlib import Path

import httpx

log = logging.getLogger("careline.switchsim.endpoints.json_cdr")

_PROFILE = {
    "username": "Caller-Username",
    "dialplan": "Caller-Dialplan",
    "caller_id_name": "Caller-Caller-ID-Name",
    "ani": "Caller-ANI",
    "aniii": "Caller-ANI-II",
    "caller_id_number": "Caller-Caller-ID-Number",
    "network_addr": "Caller-Network-Addr",
    "rdnis": "Caller-RDNIS",
    "destination_number": "Caller-Destination-Number",
    "uuid": "Caller-Unique-ID",
    "source": "Caller-Source",
    "context": "Caller-Context",
    "chan_name": "Caller-Channel-Name",
}
_TIMES = (
    "created_time", "profile_created_time", "progress_time", "progress_media_time", "answered_time",
    "bridged_time", "last_hold_time", "hold_accum_time", "hangup_time", "resurrect_time", "transfer_time",
)  # fmt: skip


@dataclass
class JsonCdrConfig:
    """json_cdr.conf's settings (times in real seconds)."""

    url: str = ""  # "" = no posting: every document goes to err_log_dir
    cred: str = ""  # "user:password", HTTP basic
    retries: int = 0  # tries after the first
    delay: float = 5.0
    err_log_dir: Path | None = None
    log_b_leg: bool = True
    timeout: float = 10.0


def document(ev) -> dict:
    """The mod_json_cdr document of a leg, from its CHANNEL_HANGUP_COMPLETE."""
    headers = ev.headers
    variables = {k[len("variable_") :]: v for k, v in headers if k.startswith("variable_") and v}
    profile = {field: ev.get(header) or "" for field, header in _PROFILE.items()}
    times = {name: ev.get("Caller-Channel-" + _time_header(name)) or "0" for name in _TIMES}
    return {
        "core-uuid": ev.get("Core-UUID") or "",
        "switchname": ev.get("FreeSWITCH-Switchname") or ev.get("FreeSWITCH-Hostname") or "",
        "channel_data": {
            "state": "CS_REPORTING",
            "direction": ev.get("Call-Direction") or "inbound",
            "state_number": "11",
        },
        "variables": variables,
        "callflow": {
            "dialplan": ev.get("Caller-Dialplan") or "XML",
            "profile_index": ev.get("Caller-Profile-Index") or "1",
            "caller_profile": profile,
            "times": times,
        },
    }


def _time_header(name: str) -> str:
    """created_time -> Created-Time, progress_media_time -> Progress-Media-Time (the event's names)."""
    return "-".join(part.capitalize() for part in name.split("_"))


class JsonCdrReporter:
    """Posts each leg's document; spools it when the post fails. ``posted``/``spooled`` count them."""

    def __init__(self, config: JsonCdrConfig) -> None:
        self.config = config
        self.posted = 0
        self.spooled = 0
        self.closed = False
        self._tasks: set[asyncio.Task] = set()
        self._client: httpx.AsyncClient | None = None
        auth = tuple(config.cred.split(":", 1)) if config.cred else None
        self._auth = httpx.BasicAuth(*auth) if auth and len(auth) == 2 else None

    def offer(self, ev) -> None:
        if self.closed or ev.name != "CHANNEL_HANGUP_COMPLETE":
            return
        if not self.config.log_b_leg and ev.get("Other-Type") == "originator":
            return  # a B leg (originated) and log-b-leg false
        uuid = ev.get("Unique-ID") or ""
        text = json.dumps(document(ev), separators=(",", ":"))
        task = asyncio.ensure_future(self._report(uuid, text))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _report(self, uuid: str, text: str) -> None:
        if self.config.url:
            for attempt in range(self.config.retries + 1):
                if attempt:
                    await asyncio.sleep(self.config.delay)
                if await self._post(uuid, text):
                    self.posted += 1
                    return
        self._spool(uuid, text)

    async def _post(self, uuid: str, text: str) -> bool:
        if self._client is None:
            self._client = httpx.AsyncClient(timeout=self.config.timeout)
        try:
            reply = await self._client.post(
                self.config.url,
                params={"uuid": uuid},
                content=text.encode(),
                headers={"Content-Type": "application/json", "User-Agent": "freeswitch-json/1.0"},
                auth=self._auth,
            )
        except httpx.HTTPError as err:
            log.warning("json_cdr: post of %s failed: %s", uuid, err)
            return False
        if 200 <= reply.status_code < 300:
            return True
        log.warning("json_cdr: got error [%d] posting %s", reply.status_code, uuid)
        return False

    def _spool(self, uuid: str, text: str) -> None:
        folder = self.config.err_log_dir
        if folder is None:
            log.error("json_cdr: %s not posted and no err_log_dir: lost", uuid)
            return
        folder.mkdir(parents=True, exist_ok=True)
        (folder / f"{uuid}.cdr.json").write_text(text + "\n")
        self.spooled += 1

    async def close(self) -> None:
        """Finish what is in flight (its retries included), then stop taking legs."""
        self.closed = True
        if self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)
        if self._client is not None:
            await self._client.aclose()
            self._client = None


def attach(switch, config: JsonCdrConfig) -> JsonCdrReporter:
    """Load "mod_json_cdr" on a running or new simulator."""
    reporter = JsonCdrReporter(config)
    switch.core.listeners.add(reporter)
    return reporter

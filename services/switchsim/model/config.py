"""SwitchConfig: what the simulated switch is configured with (design §7)."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class SwitchConfig:
    host: str = "127.0.0.1"
    esl_port: int = 8021  # 0: the OS picks (read Switch.esl_port)
    password: str = "ClueCon"
    time_scale: float = 1.0  # real seconds per simulated second (0.05 = 20x faster)
    dialplan: list = field(default_factory=list)  # [(regex, [(app, arg), …]), …]
    file_durations: dict[str, float] = field(default_factory=dict)
    default_file_seconds: float = 2.0
    global_vars: dict[str, str] = field(default_factory=lambda: {"domain": "127.0.0.1", "hostname": "vm"})
    heartbeat_seconds: float = 20.0  # real seconds
    # TTS modules loaded (e.g. ("tts_commandline",)). () is a stock build: `say:`/`speak` fail at once as
    # on FreeSWITCH 1.11.2 ("Invalid TTS module"). None keeps the old simulator's leniency (any engine a
    # channel names speaks) for suites written before issue 8; new code should say what it loads.
    tts_engines: tuple[str, ...] | None = None
    # FreeSWITCH's sound_prefix. When set, sound files are looked up on disk (relative paths under it, as
    # switch_ivr_play_file does) and a missing one fails with FILE NOT FOUND. None: every file exists.
    sound_prefix: str | None = None
    # mod_sofia's inbound-late-negotiation. True (FreeSWITCH's example profile, ../shared/fs-traces): an
    # inbound SIP leg's media comes up when it is answered, through early media. False (careline's
    # freeswitch-conf profile, tests/data/fs-traces-local): at once, and `answer` goes RINGING -> ACTIVE.
    sip_late_negotiation: bool = True

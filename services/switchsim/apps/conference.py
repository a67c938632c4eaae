"""mod_conference subset: members, conference::maintenance events, list/play/kick/mute/hup (design §7)."""

from __future__ import annotations

import asyncio
import uuid as uuidlib

from ..model.events import make_event
from .media import playback_seconds

SUB = "conference::maintenance"
# Profile `default` of the capture machine (trace f): tone enter/exit sounds, music on hold when alone.
ENTER_SOUND = "tone_stream://%(200,0,500,600,700)"
EXIT_SOUND = "tone_stream://%(500,0,300,200,100,50,25)"
MOH = "local_stream://moh"
ENTER_LEADIN = 0.4  # mod_conference plays the enter sound after a 20-frame (400 ms) lead-in


class Conference:
    def __init__(self, core, name: str, profile: str):
        self.core, self.name, self.profile = core, name, profile
        self.uuid = str(uuidlib.uuid4())
        self.members: dict[int, object] = {}
        self.flags: dict[int, set[str]] = {}
        self.next_id = 1
        self.floor: int | None = None
        self.files: list[tuple[str, float]] = []  # (path, lead-in s) queued, played one after another
        self.player: asyncio.Task | None = None
        self.moh_on = False
        self.presence_count = 0

    def headers(self, action: str, extra=()) -> list[tuple[str, str]]:
        return [("Conference-Name", self.name), ("Conference-Domain", "default"),
                ("Conference-Size", str(len(self.members))), ("Conference-Ghosts", "0"),
                ("Conference-Profile-Name", self.profile), ("Conference-Unique-ID", self.uuid),
                ("Action", action)] + list(extra)  # fmt: skip

    def fire(self, action: str, extra=()) -> None:
        self.core.fire_custom(SUB, self.headers(action, extra))

    def presence(self) -> None:
        """The room's own PRESENCE_IN (proto conf), sent as members come and go (trace f)."""
        n = len(self.members)
        domain = self.core.config.global_vars.get("domain", "127.0.0.1")
        self.presence_count += 1
        head = [("proto", "conf"), ("login", self.name), ("from", f"{self.name}@{domain}"),
                ("event_type", "presence"), ("alt_event_type", "dialog"),
                ("event_count", str(self.presence_count)), ("unique-id", self.name)]  # fmt: skip
        if n == 0:
            tail = [("force-status", "Inactive"), ("channel-state", "CS_HANGUP"),
                    ("answer-state", "terminated"), ("call-direction", "inbound")]  # fmt: skip
        else:
            status = f"Active ({n} caller{'s' if n > 1 else ''})"
            answer, direction = ("confirmed", "inbound") if n > 1 else ("early", "outbound")
            tail = [("force-status", status), ("channel-state", "CS_ROUTING"), ("answer-state", answer),
                    ("presence-call-direction", direction)]  # fmt: skip
        self.core.fire(make_event("PRESENCE_IN", head + tail))

    def fire_member(self, ch, mid: int, action: str) -> None:
        flags = self.flags.get(mid, set())
        extra = [("Hear", "true"), ("See", "true"), ("Speak", "true" if "mute" not in flags else "false"),
                 ("Talking", "false"), ("Mute-Detect", "false"), ("Member-ID", str(mid)),
                 ("Member-Type", "member"), ("Member-Ghost", "false"), ("Energy-Level", "100"),
                 ("Current-Energy", "0"), ("Action", action)]  # fmt: skip
        pre = self.headers(action)[:-1]
        ch.fire("CUSTOM", pre=pre, post=extra, full=True, subclass=SUB)

    def play(self, path: str, leadin: float = 0.0) -> None:
        """Queue a file behind the ones already playing (play-file-done fires as each one ends)."""
        self.stop_moh()
        self.files.append((path, leadin))
        if self.player is None or self.player.done():
            self.player = self.core.spawn(self._run_player())

    async def _run_player(self) -> None:
        while self.files:
            path, leadin = self.files[0]
            secs = playback_seconds(_Dummy(self.core), path) or 1.0
            await self.core.sleep(leadin + secs)
            self.files.pop(0)
            ms = int(secs * 1000)
            self.fire("play-file-done", [("seconds", str(ms // 1000)), ("milliseconds", str(ms)),
                                         ("samples", str(ms * 8)), ("File", path)])  # fmt: skip
        self.maybe_moh()

    def maybe_moh(self) -> None:
        """A lone member hears music on hold once nothing else is queued."""
        if len(self.members) == 1 and not self.files and not self.moh_on:
            self.moh_on = True

    def stop_moh(self) -> None:
        if self.moh_on:
            self.moh_on = False
            self.fire("play-file-done", [("seconds", "0"), ("milliseconds", "0"), ("samples", "0"),
                                         ("File", MOH), ("Async", "true")])  # fmt: skip

    def list_text(self) -> str:
        lines = []
        for mid in sorted(self.members, reverse=True):
            ch = self.members[mid]
            fl = "hear|speak" if "mute" not in self.flags[mid] else "hear"
            fl += "|floor" if mid == self.floor else ""
            lines.append(f"{mid};{ch.name};{ch.uuid};{ch.cid_name};{ch.cid_num};{fl};0;0;100\n")
        return "".join(lines)


class _Dummy:
    """Stands in for a channel when timing a conference-wide file (only .core is read)."""

    def __init__(self, core):
        self.core = core


async def join_conference(ch, arg: str) -> None:
    core = ch.core
    name, _, profile = arg.partition("@")
    name = name.strip()
    # `name@profile+flags{mute|moderator}`: member flags set before the member is added (mod_conference).
    join_flags = set(profile.partition("+flags{")[2].rstrip("}").split("|")) - {""}
    conf = core.conferences.get(name)
    if conf is None:
        conf = core.conferences[name] = Conference(core, name, profile.split("+")[0] or "default")
        conf.fire("conference-create")
    mid = conf.next_id
    conf.next_id += 1
    conf.members[mid] = ch
    conf.flags[mid] = {"mute"} & join_flags
    ch.conference = (conf, mid)
    conf.fire_member(ch, mid, "add-member")
    conf.presence()
    if conf.floor is None:
        conf.floor = mid
        conf.fire_member(ch, mid, "floor-change")
    if len(conf.members) > 1:
        conf.play(ENTER_SOUND, leadin=ENTER_LEADIN)  # stops the music on hold first
    else:
        conf.maybe_moh()
    while ch.alive and ch.vars.get("_conf_kick") is None:
        # The member's input loop reads DTMF (caller controls), so each digit's DTMF event fires.
        if await ch.wait(None, dtmf=True) == "dtmf":
            while not ch.dtmf.empty():
                ch.take_dtmf()
    del conf.members[mid]
    conf.flags.pop(mid, None)
    ch.conference = None
    if conf.floor == mid:
        conf.floor = next(iter(conf.members), None)
        # The capture reports Old-ID none when the last floor holder leaves (trace f).
        conf.fire("floor-change", [("Old-ID", "none"), ("New-ID", str(conf.floor or "none"))])
    conf.presence()
    conf.fire_member(ch, mid, "del-member")
    if not conf.members:
        conf.presence()  # the room's last word as it is destroyed (trace f: Inactive twice)
        core.conferences.pop(name, None)
        conf.files.clear()
        if conf.player is not None:
            conf.player.cancel()
        conf.stop_moh()
        conf.fire("conference-destroy")
    else:
        conf.play(EXIT_SOUND)


async def conference_api(core, args: str) -> str:
    parts = args.split()
    if len(parts) < 2:
        return "-ERR Conference not found\n"
    conf = core.conferences.get(parts[0])
    if conf is None:
        return f"-ERR Conference {parts[0]} not found\n"
    cmd, rest = parts[1], parts[2:]
    if cmd == "list":
        return conf.list_text()
    if cmd == "play" and rest:
        conf.fire("play-file", [("File", rest[0]), ("Async", "false")])
        conf.play(rest[0])
        return f"+OK (play) Playing file {rest[0]}\n"
    if cmd in ("kick", "hup", "mute", "unmute") and rest:
        ids = list(conf.members) if rest[0] == "all" else [int(rest[0])] if rest[0].isdigit() else []
        out = []
        for mid in ids:
            ch = conf.members.get(mid)
            if ch is None:
                continue
            if cmd in ("kick", "hup"):
                ch.hangup("NORMAL_CLEARING") if cmd == "hup" else _kick(ch)
            elif cmd == "mute":
                conf.flags[mid].add("mute")
                conf.fire_member(ch, mid, "mute-member")
            else:
                conf.flags[mid].discard("mute")
                conf.fire_member(ch, mid, "unmute-member")
            out.append(f"+OK {cmd} {mid}\n")
        return "".join(out) or "-ERR Member not found\n"
    return f"-ERR Unknown conference command {cmd}\n"


def _kick(ch) -> None:
    ch.vars["_conf_kick"] = "1"
    ch.wake.set()


async def app_conference(ch, arg: str):
    await join_conference(ch, arg)


APPS = {"conference": app_conference}

"""Media bugs: session recording (uuid_record) and eavesdrop taps, with the RECORD_* and MEDIA_BUG_*
events the real switch fires (trace d; switch_ivr_async.c record_callback; issue 8)."""

from __future__ import annotations


def _bug(function: str, target: str) -> list[tuple[str, str]]:
    return [("Media-Bug-Function", function), ("Media-Bug-Target", target)]


def start_session_record(ch, path: str) -> None:
    """switch_ivr_record_session: RECORD_START, then the bug's MEDIA_BUG_START."""
    ch.recordings[path] = ch.core.now()
    ch.fire("RECORD_START", post=[("Record-File-Path", path)])
    ch.fire("MEDIA_BUG_START", post=_bug("session_record", path))


def stop_session_record(ch, path: str, cause: str = "success-maxtime") -> None:
    """RECORD_STOP then MEDIA_BUG_STOP. A stop while the call is up completes with success-maxtime
    (trace d); at hangup, success-silence (record_hangup capture)."""
    start = ch.recordings.pop(path)
    ch.vars["record_seconds"] = str(int(ch.core.now() - start))
    ch.vars["record_completion_cause"] = cause
    ch.fire("RECORD_STOP", post=[("Record-File-Path", path), ("Record-Completion-Cause", cause)])
    ch.fire("MEDIA_BUG_STOP", post=_bug("session_record", path))


def close_all(ch) -> None:
    """The channel is hanging up: its recordings stop (switch_core_media_bug_remove_all)."""
    for path in list(ch.recordings):
        stop_session_record(ch, path, "success-silence")


def eavesdrop_started(target) -> None:
    """switch_ivr_eavesdrop_session adds an `eavesdrop` bug to the TARGET; its Media-Bug-Target is the
    target's own uuid, nothing links the listener (record_eavesdrop capture)."""
    target.fire("MEDIA_BUG_START", post=_bug("eavesdrop", target.uuid))


def eavesdrop_stopped(target) -> None:
    target.fire("MEDIA_BUG_STOP", post=_bug("eavesdrop", target.uuid))

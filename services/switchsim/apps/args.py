"""Application argument parsing as FreeSWITCH does it (switch_separate_string, atoi), design §7."""

from __future__ import annotations


def split_args(arg: str) -> list[str]:
    """Split application arguments on blanks as FreeSWITCH does (switch_separate_string): a '…' or "…"
    run stays one argument and loses its quotes, so `'say:Welcome to the hospital'` is a single prompt."""
    out: list[str] = []
    cur, quote, started = "", "", False
    for c in arg or "":
        if quote:
            if c == quote:
                quote = ""
            else:
                cur += c
        elif c in "'\"":
            quote, started = c, True
        elif c in " \t":
            if started:
                out.append(cur)
            cur, started = "", False
        else:
            cur += c
            started = True
    if started:
        out.append(cur)
    return out


def to_int(v, default):
    try:
        return int(str(v).strip())
    except ValueError:
        return default

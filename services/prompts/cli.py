"""``careline prompts render [--out DIR] [--lang zh,en] [--force]`` (issue 8, R-IVR1; design §10).

Renders every prompt of the default IVR flow, the ACD's and billing's prompts, the number units and
music on hold into ``DIR`` (FreeSWITCH's sounds folder; default ``$CARELINE_SOUNDS_DIR`` or ``./sounds``).
Exit status 0 on success, 2 when espeak-ng or sox is missing or a render fails.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from careline.prompts.catalog import DEFAULT_LANGUAGES, LANGUAGES
from careline.prompts.render import Renderer, RenderError


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="careline prompts", description="careline's prompts as audio")
    sub = p.add_subparsers(dest="command", required=True)
    render = sub.add_parser("render", help="render every prompt with espeak-ng into FreeSWITCH's layout")
    render.add_argument(
        "--out",
        type=Path,
        default=Path(os.environ.get("CARELINE_SOUNDS_DIR", "sounds")),
        help="FreeSWITCH's sounds folder (default: $CARELINE_SOUNDS_DIR or ./sounds)",
    )
    render.add_argument(
        "--lang",
        default=",".join(DEFAULT_LANGUAGES),
        help=f"comma-separated languages, Mandarin first (known: {','.join(LANGUAGES)})",
    )
    render.add_argument("--force", action="store_true", help="render every file again")
    return p


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    languages = tuple(lang.strip() for lang in args.lang.split(",") if lang.strip())
    unknown = [lang for lang in languages if lang not in LANGUAGES]
    if unknown or not languages:
        print(
            f"careline prompts: unknown language(s) {unknown}; known: {', '.join(LANGUAGES)}", file=sys.stderr
        )
        return 2
    try:
        report = Renderer(args.out).render(languages, force=args.force)
    except RenderError as err:
        print(f"careline prompts: {err}", file=sys.stderr)
        return 2
    print(f"careline prompts: {args.out}: {report.line()}")
    return 0

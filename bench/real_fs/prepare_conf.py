"""Prepare a FreeSWITCH configuration folder for bench/real_fs (issue 15 part 3).

    python bench/real_fs/prepare_conf.py <conf dir> [context]

- copies ``callcenter.conf.xml`` (the bench queue ``careline-bench@default``) into ``autoload_configs/``;
- puts the two extensions of ``dialplan.xml`` (``bench-callcenter``, ``bench-careline``) first in the
  context the callers' INVITEs land in (``public`` by default: careline's trunk context), in whichever
  ``dialplan/*.xml`` file defines it.

Idempotent: a second run replaces the block between the ``careline-bench`` markers. Run it on a copy of
the configuration of a switch kept for benchmarks, never on a production switch's, then restart that
switch (or ``reloadxml``).
"""

from __future__ import annotations

import re
import shutil
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
BEGIN, END = "<!-- careline-bench begin -->", "<!-- careline-bench end -->"


def bench_block() -> str:
    text = (HERE / "dialplan.xml").read_text()
    return text[text.index(BEGIN) : text.index(END) + len(END)]


def insert_block(xml: str, context: str, block: str) -> str:
    """``xml`` with ``block`` first in ``<context name="...">`` (and any earlier copy removed)."""
    xml = re.sub(r"[ \t]*" + re.escape(BEGIN) + r".*?" + re.escape(END) + r"\n?", "", xml, flags=re.S)
    opening = re.search(r'<context\s+name="' + re.escape(context) + r'"\s*>\n?', xml)
    if opening is None:
        raise LookupError(context)
    indented = "".join(f"    {line}\n" if line else "\n" for line in block.splitlines())
    return xml[: opening.end()] + indented + xml[opening.end() :]


def prepare(conf: Path, context: str = "public") -> Path:
    shutil.copy(HERE / "callcenter.conf.xml", conf / "autoload_configs" / "callcenter.conf.xml")
    for path in sorted((conf / "dialplan").glob("*.xml")):
        xml = path.read_text()
        if f'<context name="{context}"' in xml:
            path.write_text(insert_block(xml, context, bench_block()))
            return path
    raise SystemExit(f"no dialplan file of {conf} defines the context {context!r}")


def main(argv: list[str]) -> int:
    if not argv or argv[0] in ("-h", "--help"):
        print(__doc__)
        return 2
    conf = Path(argv[0])
    path = prepare(conf, argv[1] if len(argv) > 1 else "public")
    print(f"{conf}: autoload_configs/callcenter.conf.xml written; bench extensions first in {path.name}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

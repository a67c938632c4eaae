"""``careline cdr import <dir>``: re-ingest the legs mod_json_cdr spooled while careline was away (issue 15).

mod_json_cdr writes a leg it could not post (after its retries) to its err-log-dir as ``[a_]<uuid>.cdr.json``.
Each file is read as :mod:`careline.cdr.json_cdr` reads a post and published to the CDR_INTAKE stream with
Nats-Msg-Id = the leg uuid, exactly as the ESL intake does; the writer's upsert stores it once even if the
leg was stored before (its ESL copy, an earlier import). A file is moved to ``imported/`` only after
JetStream has stored its leg (``--delete`` removes it instead); a file that is not a CDR goes to
``rejected/``. Safe to run again, or from cron, at any time.

Also: ``python -m careline.cdr.importer <dir>``. NATS comes from ``CARELINE_CDR_NATS_URL`` or ``--nats``.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from dataclasses import dataclass
from pathlib import Path

from careline import subjects
from careline.cdr import json_cdr
from careline.cdr.intake import INTAKE_STREAMS, encode
from careline.core.bus import Bus


@dataclass
class ImportReport:
    imported: int = 0
    already: int = 0  # JetStream already had the leg (within its dedupe window)
    rejected: int = 0


async def import_dir(
    bus: Bus, folder: Path, *, delete: bool = False, encoded_values: bool = False, site: str = "main"
) -> ImportReport:
    report = ImportReport()
    await bus.ensure_streams(INTAKE_STREAMS)
    for path in _spooled(folder):  # local files: blocking reads are fine in this one-shot command
        try:
            headers = _read(path, encoded_values)
        except (json_cdr.JsonCdrError, OSError) as err:
            print(f"rejected {path.name}: {err}", file=sys.stderr)
            _move(path, folder / "rejected")
            report.rejected += 1
            continue
        subject = subjects.cdr_intake_leg(site)
        ack = await bus.publish_raw(subject, encode(headers), msg_id=headers["Unique-ID"])
        if ack.duplicate:
            report.already += 1
        else:
            report.imported += 1
        _done(path, folder, delete)
    return report


def _spooled(folder: Path) -> list[Path]:
    return sorted(folder.glob("*.cdr.json"))


def _read(path: Path, encoded_values: bool) -> dict[str, str]:
    return json_cdr.headers_of(json_cdr.load(path.read_bytes()), url_encoded_values=encoded_values)


def _done(path: Path, folder: Path, delete: bool) -> None:
    if delete:
        path.unlink()
    else:
        _move(path, folder / "imported")


def _move(path: Path, into: Path) -> None:
    into.mkdir(exist_ok=True)
    path.replace(into / path.name)


async def _run(args: argparse.Namespace) -> int:
    from careline.cdr.settings import CdrSettings

    settings = CdrSettings()
    bus = await Bus.connect(
        args.nats or settings.nats_url, name="careline-cdr-import", first_connect_timeout=10
    )
    try:
        report = await import_dir(
            bus,
            Path(args.dir),
            delete=args.delete,
            encoded_values=settings.json_cdr_encoded_values,
            site=settings.intake_site,
        )
    finally:
        await bus.close()
    print(
        f"{report.imported} legs imported, {report.already} already taken, {report.rejected} files rejected"
    )
    return 1 if report.rejected else 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="careline cdr import", description=__doc__.splitlines()[0])
    parser.add_argument("dir", help="mod_json_cdr's err-log-dir (files <uuid>.cdr.json)")
    parser.add_argument("--nats", help="NATS URL (default: CARELINE_CDR_NATS_URL)")
    parser.add_argument("--delete", action="store_true", help="delete imported files instead of moving them")
    return asyncio.run(_run(parser.parse_args(argv)))


if __name__ == "__main__":
    sys.exit(main())

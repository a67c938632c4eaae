"""Render the prompt catalog with espeak-ng into FreeSWITCH's layout (issue 8, R-IVR1; design §10).

``espeak-ng`` (Debian package ``espeak-ng``, voices ``cmn`` and ``en-us``) speaks each text at its own
22050 Hz; ``sox`` (Debian ``sox``) normalises it to -3 dBFS and resamples it to 8000 and 16000 Hz,
16-bit mono PCM WAV, which mod_sndfile plays without transcoding. A prompt in two languages (the main
menu's language offer) is rendered piece by piece and joined.

Idempotent: ``<out>/.careline-prompts.json`` keeps, per file, a hash of everything that shaped it
(text, voice, rate, engine version, recipe). A file whose hash matches and which exists is skipped, so a
second run renders nothing and a changed text renders only its own files.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import tempfile
import time
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from careline.prompts import moh
from careline.prompts.catalog import LANGUAGES, MOH_FILE, RATES, Prompt, catalog, rendered_path

MANIFEST = ".careline-prompts.json"
RECIPE = "espeak-ng>sox trim silence, pad, gain -n -3, rate -v; v2"  # change it to re-render everything
# Units are joined into numbers and dates: espeak-ng's trailing second of silence is trimmed from every
# file, then a unit gets a short tail and a sentence a breath before and after.
TRIM = ["silence", "1", "0.02", "0.2%", "reverse", "silence", "1", "0.02", "0.2%", "reverse"]
UNIT_PAD, SENTENCE_PAD = ("0", "0.06"), ("0.15", "0.35")
TOOLS = {"espeak-ng": "espeak-ng", "sox": "sox"}  # program -> Debian package


class RenderError(RuntimeError):
    pass


def missing_tools() -> list[str]:
    return [tool for tool in TOOLS if shutil.which(tool) is None]


def require_tools() -> None:
    missing = missing_tools()
    if missing:
        packages = " ".join(TOOLS[t] for t in missing)
        raise RenderError(
            f"{', '.join(missing)} not found on PATH: rendering prompts needs them. "
            f"On Debian/Ubuntu: apt-get install -y {packages}"
        )


def engine_version() -> str:
    out = subprocess.run(["espeak-ng", "--version"], capture_output=True, text=True, check=False)
    return out.stdout.strip().split("  ")[0] or "espeak-ng"


Synth = Callable[[list[tuple[str, str]], Path], None]  # (voice, text) pieces -> a WAV at any rate


def espeak_synth(pieces: list[tuple[str, str]], target: Path) -> None:
    """Speak each (voice, text) piece with espeak-ng and join them into ``target`` (22050 Hz)."""
    with tempfile.TemporaryDirectory(prefix="careline-tts-") as tmp:
        parts = []
        for i, (voice, text) in enumerate(pieces):
            part = Path(tmp) / f"{i}.wav"
            # text on stdin, never on the command line: a text starting with "-" is not an option
            _run(["espeak-ng", "-v", voice, "-b", "1", "-s", "150", "--stdin", "-w", str(part)], text)
            parts.append(str(part))
        if len(parts) == 1:
            shutil.move(parts[0], target)
        else:
            _run(["sox", "-V1", *parts, str(target)])


def resample(source: Path, target: Path, rate: int, *, unit: bool = False) -> None:
    tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp.wav")
    pad = UNIT_PAD if unit else SENTENCE_PAD
    try:
        _run(
            ["sox", "-V1", str(source), "-b", "16", "-e", "signed-integer", "-c", "1", str(tmp)]
            + [*TRIM, "pad", *pad, "gain", "-n", "-3", "rate", "-v", str(rate)]
        )
        os.replace(tmp, target)  # a reader never sees half a file
    finally:
        tmp.unlink(missing_ok=True)


def _run(cmd: list[str], stdin: str | None = None) -> None:
    done = subprocess.run(cmd, input=stdin, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise RenderError(f"{cmd[0]} failed ({done.returncode}): {done.stderr.strip()[:300]}")


@dataclass
class Report:
    rendered: int = 0
    skipped: int = 0
    files: int = 0
    bytes: int = 0
    seconds: float = 0.0
    by_language: dict[str, int] = field(default_factory=dict)

    def line(self) -> str:
        per = ", ".join(f"{lang} {n}" for lang, n in sorted(self.by_language.items()))
        return (
            f"{self.files} files ({per}; music on hold), {self.rendered} rendered, "
            f"{self.skipped} up to date, {self.bytes / 1_000_000:.1f} MB, {self.seconds:.1f} s"
        )


class Renderer:
    def __init__(
        self,
        out: Path,
        *,
        synth: Synth = espeak_synth,
        resampler: Callable[..., None] = resample,
        engine: str | None = None,
        workers: int = 2,
    ) -> None:
        self.out, self.synth, self.resampler, self.workers = Path(out), synth, resampler, workers
        self.engine = engine
        self.manifest_path = self.out / MANIFEST

    def render(self, languages: Iterable[str], *, force: bool = False) -> Report:
        started = time.monotonic()
        languages = tuple(languages)
        if self.synth is espeak_synth:
            require_tools()
        self.engine = self.engine or (engine_version() if self.synth is espeak_synth else "test")
        manifest = {} if force else self._load_manifest()
        report = Report()
        prompts = catalog(languages)
        with ThreadPoolExecutor(max_workers=self.workers) as pool:
            results = list(pool.map(lambda p: self._prompt(p, manifest), prompts))
        for prompt, (hashes, rendered) in zip(prompts, results, strict=True):
            manifest.update(hashes)
            report.rendered += rendered
            report.skipped += len(hashes) - rendered
            report.by_language[prompt.language] = report.by_language.get(prompt.language, 0) + len(hashes)
        hashes, rendered = self._music(manifest)
        manifest.update(hashes)
        report.rendered += rendered
        report.skipped += len(hashes) - rendered
        self._save_manifest(manifest)
        report.files = report.rendered + report.skipped
        report.bytes = sum((self.out / rel).stat().st_size for rel in manifest if (self.out / rel).exists())
        report.seconds = time.monotonic() - started
        return report

    def _prompt(self, prompt: Prompt, manifest: dict[str, str]) -> tuple[dict[str, str], int]:
        pieces = [(LANGUAGES[lang].voice, text) for lang, text in prompt.parts()]
        wanted = {rendered_path(prompt, rate): _hash(self.engine, RECIPE, rate, pieces) for rate in RATES}
        todo = {
            rel: h for rel, h in wanted.items() if manifest.get(rel) != h or not (self.out / rel).exists()
        }
        if not todo:
            return wanted, 0
        with tempfile.TemporaryDirectory(prefix="careline-prompt-") as tmp:
            source = Path(tmp) / "source.wav"
            self.synth(pieces, source)
            for rel in todo:
                target = self.out / rel
                target.parent.mkdir(parents=True, exist_ok=True)
                unit = not prompt.path.startswith("ivr/")
                self.resampler(source, target, int(Path(rel).parent.name), unit=unit)
        return wanted, len(todo)

    def _music(self, manifest: dict[str, str]) -> tuple[dict[str, str], int]:
        wanted = {f"music/{rate}/{MOH_FILE}": _hash(moh.RECIPE, rate) for rate in RATES}
        rendered = 0
        for rel, digest in wanted.items():
            target = self.out / rel
            if manifest.get(rel) == digest and target.exists():
                continue
            target.parent.mkdir(parents=True, exist_ok=True)
            moh.write(target, int(target.parent.name))
            rendered += 1
        return wanted, rendered

    def _load_manifest(self) -> dict[str, str]:
        try:
            return json.loads(self.manifest_path.read_text("utf-8"))
        except (OSError, ValueError):
            return {}

    def _save_manifest(self, manifest: dict[str, str]) -> None:
        self.out.mkdir(parents=True, exist_ok=True)
        tmp = self.manifest_path.with_suffix(".tmp")
        tmp.write_text(json.dumps(manifest, indent=0, sort_keys=True, ensure_ascii=False), "utf-8")
        os.replace(tmp, self.manifest_path)


def _hash(*parts: object) -> str:
    return hashlib.sha256(json.dumps(parts, ensure_ascii=False).encode()).hexdigest()[:32]

"""``careline prompts render``: idempotent, FreeSWITCH's layout, a clear error without espeak-ng (issue 8)."""

from __future__ import annotations

import shutil
import wave
from pathlib import Path

import pytest

from careline.prompts import catalog as catalog_module
from careline.prompts import cli, render
from careline.prompts.catalog import Prompt
from careline.prompts.render import Renderer


class FakeEngine:
    """Records what was synthesised; writes tiny WAVs so the files exist."""

    def __init__(self) -> None:
        self.spoken: list[list[tuple[str, str]]] = []

    def synth(self, pieces, target: Path) -> None:
        self.spoken.append(pieces)
        target.write_bytes(b"src")

    def resample(self, source: Path, target: Path, rate: int, *, unit: bool = False) -> None:
        target.write_bytes(f"{rate}".encode())


SMALL = [
    Prompt("zh", "ivr/careline-main-menu.wav", "欢迎。[[en:For English, press 8.]]"),
    Prompt("en", "ivr/careline-main-menu.wav", "Welcome."),
    Prompt("zh", "digits/7.wav", "七"),
]


@pytest.fixture
def small_catalog(monkeypatch):
    prompts = list(SMALL)
    monkeypatch.setattr(render, "catalog", lambda languages: [p for p in prompts if p.language in languages])
    return prompts


def test_render_writes_both_rates_then_skips_what_is_up_to_date(tmp_path, small_catalog):
    engine = FakeEngine()
    renderer = Renderer(tmp_path, synth=engine.synth, resampler=engine.resample)
    first = renderer.render(("zh", "en"))
    assert first.rendered == 3 * 2 + 2 and first.skipped == 0  # 3 prompts x 2 rates + music x 2 rates
    assert (tmp_path / "zh/cn/careline/ivr/8000/careline-main-menu.wav").read_bytes() == b"8000"
    assert (tmp_path / "en/us/careline/ivr/16000/careline-main-menu.wav").exists()
    assert (tmp_path / "zh/cn/careline/digits/16000/7.wav").exists()
    assert engine.spoken[0] == [("cmn", "欢迎。"), ("en-us", "For English, press 8.")]
    with wave.open(str(tmp_path / "music/8000/careline-moh.wav")) as moh:
        assert (moh.getframerate(), moh.getnchannels(), moh.getsampwidth()) == (8000, 1, 2)

    again = Renderer(tmp_path, synth=engine.synth, resampler=engine.resample).render(("zh", "en"))
    assert again.rendered == 0 and again.skipped == 8 and len(engine.spoken) == 3

    small_catalog[2] = Prompt("zh", "digits/7.wav", "七！")  # a changed text renders only its own files
    (tmp_path / "en/us/careline/ivr/8000/careline-main-menu.wav").unlink()  # and a lost file comes back
    third = Renderer(tmp_path, synth=engine.synth, resampler=engine.resample).render(("zh", "en"))
    assert third.rendered == 3  # the lost file at one rate, the changed unit at both
    assert sorted(map(str, engine.spoken[3:])) == sorted(
        map(str, [[("en-us", "Welcome.")], [("cmn", "七！")]])
    )


def test_one_language_renders_only_that_language(tmp_path, small_catalog):
    engine = FakeEngine()
    report = Renderer(tmp_path, synth=engine.synth, resampler=engine.resample).render(("en",))
    assert report.by_language == {"en": 2} and not (tmp_path / "zh").exists()


def test_missing_espeak_ng_fails_with_the_package_to_install(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    assert cli.main(["render", "--out", str(tmp_path / "sounds")]) == 2
    err = capsys.readouterr().err
    assert "espeak-ng" in err and "apt-get install -y espeak-ng sox" in err
    assert not (tmp_path / "sounds").exists()


def test_an_unknown_language_is_refused(tmp_path, capsys):
    assert cli.main(["render", "--out", str(tmp_path), "--lang", "zh,fr"]) == 2
    assert "fr" in capsys.readouterr().err


@pytest.mark.skipif(
    shutil.which("espeak-ng") is None or shutil.which("sox") is None, reason="needs espeak-ng and sox"
)
def test_espeak_ng_renders_telephony_wavs(tmp_path, monkeypatch):
    """The real engine: 16-bit mono PCM at 8000 and 16000 Hz, with sound in it."""
    prompts = [
        Prompt("zh", "ivr/careline-goodbye.wav", "感谢您的来电，再见。"),
        Prompt("en", "digits/21.wav", "twenty one"),
    ]
    monkeypatch.setattr(render, "catalog", lambda languages: prompts)
    report = Renderer(tmp_path).render(("zh", "en"))
    assert report.rendered == 6
    for rel, rate in (
        ("zh/cn/careline/ivr/8000/careline-goodbye.wav", 8000),
        ("zh/cn/careline/ivr/16000/careline-goodbye.wav", 16000),
        ("en/us/careline/digits/8000/21.wav", 8000),
    ):
        with wave.open(str(tmp_path / rel)) as w:
            assert (w.getframerate(), w.getnchannels(), w.getsampwidth(), w.getcomptype()) == (
                rate,
                1,
                2,
                "NONE",
            )
            frames = w.readframes(w.getnframes())
            assert w.getnframes() > rate * 0.3 and max(frames) > 0


def test_the_catalog_module_is_what_render_uses():
    assert render.catalog is catalog_module.catalog


def test_the_careline_command_dispatches_prompts(tmp_path, capsys):
    from careline import cli as careline_cli

    assert careline_cli.main(["prompts", "render", "--out", str(tmp_path), "--lang", "fr"]) == 2
    assert "unknown language" in capsys.readouterr().err

"""services/v1/ is exactly what grpcio-tools generates from proto/ (design §4: checked in CI)."""

from __future__ import annotations

import importlib
import importlib.util
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]


def _gen_proto():
    spec = importlib.util.spec_from_file_location("gen_proto", ROOT / "scripts" / "gen_proto.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_generated_code_is_fresh(tmp_path: Path) -> None:
    gen = _gen_proto()
    fresh = gen.generate(tmp_path)
    target = ROOT / "services" / "v1"
    assert gen.generated_files(fresh) == gen.generated_files(target)
    for name in gen.generated_files(fresh):
        assert (fresh / name).read_bytes() == (target / name).read_bytes(), (
            f"services/v1/{name} is stale: run `python scripts/gen_proto.py`"
        )


def test_every_proto_has_generated_modules() -> None:
    protos = sorted(p.stem for p in (ROOT / "proto" / "careline" / "v1").glob("*.proto"))
    for stem in protos:
        assert (ROOT / "services" / "v1" / f"{stem}_pb2.py").exists()
        assert importlib.import_module(f"careline.v1.{stem}_pb2")


def test_check_mode_reports_a_stale_file(tmp_path: Path, monkeypatch) -> None:
    gen = _gen_proto()
    stale_copy = tmp_path / "v1"
    stale_copy.mkdir()
    for name in gen.generated_files(ROOT / "services" / "v1"):
        (stale_copy / name).write_bytes((ROOT / "services" / "v1" / name).read_bytes())
    (stale_copy / "cdr_pb2.py").write_text("# edited by hand\n")
    monkeypatch.setattr(gen, "TARGET", stale_copy)
    assert gen.main(["--check"]) == 1
    (stale_copy / "cdr_pb2.py").write_bytes((ROOT / "services" / "v1" / "cdr_pb2.py").read_bytes())
    assert gen.main(["--check"]) == 0

"""Generate Python for proto/careline/v1/*.proto into services/v1/ (imports as careline.v1.*_pb2).

    python scripts/gen_proto.py           # regenerate services/v1/
    python scripts/gen_proto.py --check   # exit 1 if services/v1/ is stale (CI, design §4)

grpcio-tools writes careline/v1/<name>_pb2.py(i) under a temporary folder; those files are moved to
services/v1/, which setup.py maps to the `careline.v1` package, so the generated
`from careline.v1 import common_pb2` imports resolve.
"""

from __future__ import annotations

import argparse
import filecmp
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PROTO_ROOT = ROOT / "proto"
PROTO_PACKAGE = Path("careline") / "v1"
TARGET = ROOT / "services" / "v1"
INIT_TEXT = (
    '"""Generated protobuf contracts (package careline.v1). Do not edit: run scripts/gen_proto.py."""\n'
)


def generate(out_dir: Path) -> Path:
    """Run protoc into out_dir and return the folder holding the careline.v1 modules."""
    protos = sorted(str(p.relative_to(PROTO_ROOT)) for p in (PROTO_ROOT / PROTO_PACKAGE).glob("*.proto"))
    if not protos:
        raise SystemExit(f"no .proto files under {PROTO_ROOT / PROTO_PACKAGE}")
    cmd = [sys.executable, "-m", "grpc_tools.protoc", "-I", str(PROTO_ROOT)]
    cmd += [f"--python_out={out_dir}", f"--pyi_out={out_dir}", *protos]
    subprocess.run(cmd, check=True, cwd=PROTO_ROOT)
    generated = out_dir / PROTO_PACKAGE
    (generated / "__init__.py").write_text(INIT_TEXT)
    return generated


def generated_files(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.suffix in {".py", ".pyi"})


def stale_files(fresh: Path, target: Path) -> list[str]:
    """Names that differ between a fresh generation and target (missing, extra or changed)."""
    fresh_names, target_names = set(generated_files(fresh)), set(generated_files(target))
    differing = fresh_names ^ target_names
    for name in fresh_names & target_names:
        if not filecmp.cmp(fresh / name, target / name, shallow=False):
            differing.add(name)
    return sorted(differing)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="only compare; exit 1 when stale")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="careline-proto-") as tmp:
        fresh = generate(Path(tmp))
        if args.check:
            TARGET.mkdir(exist_ok=True)
            stale = stale_files(fresh, TARGET)
            if stale:
                print("services/v1 is stale; run `python scripts/gen_proto.py`:", *stale, sep="\n  ")
                return 1
            print("services/v1 is up to date")
            return 0
        TARGET.mkdir(exist_ok=True)
        for old in generated_files(TARGET):
            (TARGET / old).unlink()
        for name in generated_files(fresh):
            shutil.copyfile(fresh / name, TARGET / name)
        print(f"generated {len(generated_files(TARGET))} files into {TARGET.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

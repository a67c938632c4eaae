"""The simulator's layers import downward only, and no module imports itself round a circle (issue 8
part 6; design §7). wire < model < apps < endpoints < the top (switch.py, cli.py, api.py, __init__).
A new endpoint (Verto, WebRTC, fax) is a module under endpoints/ and may import any layer below it."""

from __future__ import annotations

import ast
from pathlib import Path

import careline.switchsim as switchsim

ROOT = Path(switchsim.__file__).resolve().parent
PACKAGE = "careline.switchsim"
LAYERS = {"wire": 0, "model": 1, "apps": 2, "endpoints": 3}
TOP = 4


def module_name(path: Path, root: Path = ROOT, package: str = PACKAGE) -> str:
    parts = list(path.relative_to(root).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join([package, *parts])


def layer_of(module: str, package: str = PACKAGE) -> int:
    rest = module[len(package) :].lstrip(".").split(".")
    return LAYERS.get(rest[0], TOP) if rest[0] else TOP


def _resolve(module: str, is_package: bool, node: ast.ImportFrom) -> str:
    base = module.split(".") if is_package else module.split(".")[:-1]
    if node.level:
        base = base[: len(base) - (node.level - 1)]
        return ".".join(base + ([node.module] if node.module else []))
    return node.module or ""


def imports_of(path: Path, modules: set[str], root: Path = ROOT, package: str = PACKAGE) -> set[str]:
    """Every module of the package that `path` imports, anywhere in it (function bodies and
    TYPE_CHECKING blocks included: an upward import hidden in a function is still upward)."""
    me = module_name(path, root, package)
    is_pkg = path.name == "__init__.py"
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            target = _resolve(me, is_pkg, node)
            for alias in node.names:
                sub = f"{target}.{alias.name}"
                found.add(sub if sub in modules else target)
    return {m for m in found if m in modules and m != me}


def graph(root: Path = ROOT, package: str = PACKAGE) -> dict[str, set[str]]:
    files = sorted(root.rglob("*.py"))
    modules = {module_name(p, root, package) for p in files}
    return {module_name(p, root, package): imports_of(p, modules, root, package) for p in files}


def upward_imports(g: dict[str, set[str]], package: str = PACKAGE) -> list[tuple[str, str]]:
    pairs = ((src, dst) for src, dsts in g.items() for dst in dsts)
    return sorted((src, dst) for src, dst in pairs if layer_of(dst, package) > layer_of(src, package))


def cycles(g: dict[str, set[str]]) -> list[list[str]]:
    """One cycle per strongly connected component of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on: set[str] = set()
    out: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on.add(v)
        for w in g.get(v, ()):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(sorted(comp))

    for v in sorted(g):
        if v not in index:
            visit(v)
    return out


def test_every_layer_imports_only_the_layers_below_it():
    assert upward_imports(graph()) == []


def test_no_module_imports_itself_round_a_circle():
    assert cycles(graph()) == []


def test_the_layers_are_where_the_checker_looks():
    """A renamed layer folder would make every module "top" and the layer checks vacuous."""
    layers = {layer_of(m) for m in graph()}
    assert layers == {0, 1, 2, 3, TOP}


def test_the_checker_sees_an_upward_import_and_a_circle(tmp_path):
    pkg = tmp_path / "pkg"
    for d in ("wire", "model", "endpoints"):
        (pkg / d).mkdir(parents=True)
        (pkg / d / "__init__.py").write_text("")
    (pkg / "__init__.py").write_text("")
    (pkg / "wire" / "frames.py").write_text("def f():\n    from ..model import core\n")
    (pkg / "model" / "core.py").write_text("from ..wire import frames\nfrom . import chan\n")
    (pkg / "model" / "chan.py").write_text("from .core import Core\n")
    (pkg / "endpoints" / "verto.py").write_text("from ..model.core import Core\n")
    g = graph(pkg, "x.pkg")
    assert upward_imports(g, "x.pkg") == [("x.pkg.wire.frames", "x.pkg.model.core")]
    # core <-> chan and core <-> frames share core: one strongly connected component of three
    assert cycles(g) == [["x.pkg.model.chan", "x.pkg.model.core", "x.pkg.wire.frames"]]
    assert "x.pkg.endpoints.verto" not in {m for c in cycles(g) for m in c}

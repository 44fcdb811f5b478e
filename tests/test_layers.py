"""The import graph of src/safepip: no circles, and no import from a lower stage to a higher one.

The layout is docs/architecture.md's ("The layers"): the stages a pip command goes through, lowest
first, each importing only its own stage and those below it. Every import counts, wherever it is
written: at the top, inside a function (the start-up rule puts many there), or under
``if TYPE_CHECKING:``. A lazy import hides a circle from Python, not from the design.

The graph is read in process with ``ast`` from the source files; nothing is imported or run.
"""

from __future__ import annotations

import ast
from collections.abc import Iterable, Mapping
from pathlib import Path

import safepip

#: The stages, lowest first: a module may import modules of its own stage and of those below.
STAGES = ("shared", "running", "reading", "deciding", "applying", "reporting", "top")

#: Where each module sits: the entry with the longest dotted prefix of its name decides.
PLACES: Mapping[str, str] = {
    # Shared values and tables, below every stage: any stage may use them.
    "safepip": "shared",  # the package: its version
    "safepip.errors": "shared",
    "safepip.options": "shared",
    "safepip.target": "shared",
    "safepip.knowledge": "shared",
    "safepip.importnames": "shared",  # the sourced lists of import names, and their data files
    "safepip.tomlfile": "shared",
    "safepip.versions": "shared",
    "safepip.config": "shared",
    "safepip.transcripts": "shared",
    "safepip.redaction": "shared",
    "safepip.visible": "shared",
    "safepip.changes": "shared",
    "safepip.running": "running",
    # The line interface the runner feeds: written in reading/, which implements it, but the
    # runner's to import, so it sits at the runner's level.
    "safepip.reading.consumer": "running",
    "safepip.reading.lines": "running",
    "safepip.reading": "reading",
    "safepip.deciding": "deciding",
    "safepip.applying": "applying",
    "safepip.reporting": "reporting",
    "safepip.session": "top",
    "safepip.building": "top",
    "safepip.commands": "top",
    "safepip.main": "top",
    "safepip.__main__": "top",
}


def module_files(root: Path) -> dict[str, Path]:
    """Every module under the package folder ``root``, by its dotted name."""
    modules = {}
    for path in sorted(root.rglob("*.py")):
        parts = [root.name, *path.relative_to(root).with_suffix("").parts]
        if parts[-1] == "__init__":
            parts.pop()
        modules[".".join(parts)] = path
    return modules


def imports_of(name: str, source: str, modules: Iterable[str], is_package: bool) -> set[str]:
    """The modules of ``modules`` that the module ``name`` imports, anywhere in ``source``.

    ``from P import x`` counts as an import of ``P.x`` when that is a module, else of ``P``. The
    packages above an imported module (run by Python first) do not count: a submodule does not
    depend on its package's ``__init__`` by being in it.
    """
    known = set(modules)
    package = name if is_package else name.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                origin = ".".join([*base, node.module] if node.module else base)
            else:
                origin = node.module or ""
            for alias in node.names:
                submodule = f"{origin}.{alias.name}"
                found.add(submodule if submodule in known else origin)
    return {module for module in found if module in known and module != name}


def import_graph() -> dict[str, set[str]]:
    root = Path(safepip.__file__).parent
    modules = module_files(root)
    return {
        name: imports_of(name, path.read_text(encoding="utf-8"), modules, path.stem == "__init__")
        for name, path in modules.items()
    }


def place(module: str) -> str | None:
    prefixes = [p for p in PLACES if module == p or module.startswith(p + ".")]
    return PLACES[max(prefixes, key=len)] if prefixes else None


def circles(graph: Mapping[str, set[str]]) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan), each sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in sorted(graph.get(node, ())):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def test_every_module_has_a_stage() -> None:
    unplaced = sorted(module for module in import_graph() if place(module) is None)
    assert not unplaced, f"place these modules in PLACES (and docs/architecture.md): {unplaced}"


def test_no_import_runs_up_a_stage() -> None:
    upward = [
        f"{source} ({place(source)}) imports {target} ({place(target)})"
        for source, targets in sorted(import_graph().items())
        for target in sorted(targets)
        if STAGES.index(place(target) or "top") > STAGES.index(place(source) or "shared")
    ]
    assert not upward, "\n".join(upward)


def test_no_circles() -> None:
    assert circles(import_graph()) == []


def test_every_kind_of_import_counts() -> None:
    """The reader sees imports at the top, in functions, under TYPE_CHECKING, and relative ones;
    and the circle finder finds a circle made of them."""
    modules = ["pkg", "pkg.a", "pkg.b", "pkg.c", "pkg.sub", "pkg.sub.d"]
    source = """
from __future__ import annotations
import pkg.a
TYPE_CHECKING = False
if TYPE_CHECKING:
    from pkg import b
def later():
    from .c import thing
    from .sub import d
    import os
"""
    # In pkg/a.py: all three, its own name dropped (it imports pkg.a: itself).
    assert imports_of("pkg.a", source, modules, False) == {"pkg.b", "pkg.c", "pkg.sub.d"}
    # Two levels up from pkg/sub/d.py, and from a package's __init__.
    assert imports_of("pkg.sub.d", "from ..c import x", modules, False) == {"pkg.c"}
    assert imports_of("pkg.sub", "from . import d", modules, True) == {"pkg.sub.d"}
    graph = {"pkg.a": {"pkg.b"}, "pkg.b": {"pkg.c"}, "pkg.c": {"pkg.a"}, "pkg.sub.d": {"pkg.a"}}
    assert circles(graph) == [["pkg.a", "pkg.b", "pkg.c"]]
    # And on the real source: edges known to exist are seen, a function-local one included.
    graph = import_graph()
    assert "safepip.session" in graph["safepip.building"]
    assert "safepip.running.pipes" in graph["safepip.running"]  # inside run_pip()

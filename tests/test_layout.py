"""The code layout the README describes: stages as modules with one job each,
data flowing one way, no module using another's private names."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "pipeline"


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _imports(path: Path) -> list[tuple[str, list[str], int]]:
    """(imported module, names, line) of every import in ``path``, lazy ones too."""
    name = _module_name(path)
    package = name if path.name == "__init__.py" else name.rsplit(".", 1)[0]
    found = []
    tree = ast.parse(path.read_text(encoding="utf-8"))
    # Imports for type checkers only never run: they make no dependency.
    typing_only = {
        id(inner)
        for node in ast.walk(tree)
        if isinstance(node, ast.If)
        and ast.unparse(node.test) in {"TYPE_CHECKING", "typing.TYPE_CHECKING"}
        for stmt in node.body
        for inner in ast.walk(stmt)
    }
    for node in ast.walk(tree):
        if id(node) in typing_only:
            continue
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - node.level + 1]
                module = ".".join([*base, *([node.module] if node.module else [])])
            else:
                module = node.module or ""
            names = [alias.name for alias in node.names]
            # `from . import x` imports the module pipeline.x
            if module in MODULES:
                subs = [n for n in names if f"{module}.{n}" in MODULES]
                for sub in subs:
                    found.append((f"{module}.{sub}", [], node.lineno))
                names = [n for n in names if n not in subs]
            found.append((module, names, node.lineno))
        elif isinstance(node, ast.Import):
            found.extend((alias.name, [], node.lineno) for alias in node.names)
    return [(m, n, line) for m, n, line in found if m == "pipeline" or m.startswith("pipeline.")]


FILES = sorted(PACKAGE.rglob("*.py"))
MODULES = {_module_name(p) for p in FILES}


def test_no_module_imports_another_modules_private_names() -> None:
    offences = []
    for path in FILES:
        for module, names, line in _imports(path):
            for name in names:
                if name.startswith("_") and not name.startswith("__"):
                    offences.append(f"{path.relative_to(PACKAGE.parent)}:{line}: {module}.{name}")
    assert offences == []


def _graph() -> dict[str, set[str]]:
    graph: dict[str, set[str]] = {name: set() for name in MODULES}
    for path in FILES:
        here = _module_name(path)
        for module, _names, _line in _imports(path):
            target = module
            while target not in MODULES and "." in target:
                target = target.rsplit(".", 1)[0]
            # A package's __init__ is not a dependency of its own modules.
            if target != here and not here.startswith(target + "."):
                graph[here].add(target)
    return graph


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in sorted(graph[node]):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                top = stack.pop()
                on_stack.discard(top)
                component.append(top)
                if top == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def test_there_is_no_import_cycle_in_the_package() -> None:
    """Counting lazy imports inside functions too: data flows one way."""
    assert _cycles(_graph()) == []


def test_the_cycle_finder_finds_a_cycle() -> None:
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


@pytest.mark.parametrize(("module", "limit"), [("build.py", 300), ("cli.py", 400)])
def test_the_hubs_stay_thin(module: str, limit: int) -> None:
    lines = (PACKAGE / module).read_text(encoding="utf-8").count("\n")
    assert lines < limit, f"pipeline/{module} has {lines} lines; move a job into its own module"


def test_every_public_name_of_the_package_resolves() -> None:
    import pipeline

    for name in pipeline.__all__:
        assert getattr(pipeline, name) is not None, name

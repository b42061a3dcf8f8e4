"""The layering the code relies on: data flows one way, routes → service → port ← engines.

* only ``indexer/whoosh_store/`` imports Whoosh;
* the routes never import an engine (nor Whoosh): they call the search service;
* the search service imports the port (and facets, query, highlight …), never an engine;
* the local searcher never imports Whoosh (its storage is handed in);
* the app never imports the index writer;
* no import cycle among the project's modules (counting imports inside functions), and no
  router imports from another router.
"""

from __future__ import annotations

import ast
from collections import deque
from pathlib import Path

import pytest

from indexer.domain import PROJECT_ROOT

ENGINES = ("app.search.local", "app.search.postgres", "indexer.whoosh_store", "indexer.postgres_store", "whoosh", "psycopg")
# The service's side of the port: what composes features from Searcher calls.
SERVICE = (
    "app/search/service.py",
    "app/search/port_service.py",
    "app/search/live.py",
    "app/search/followup.py",
    "app/search/deadline.py",
    "app/search/curation.py",
)


def _imports(path: Path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names


def _sources(*folders: str) -> list[Path]:
    return [p for folder in folders for p in sorted((PROJECT_ROOT / folder).rglob("*.py"))]


def _importing(paths: list[Path], prefixes: tuple[str, ...]) -> list[tuple[str, str]]:
    return [
        (str(path.relative_to(PROJECT_ROOT)), name)
        for path in paths
        for name in _imports(path)
        if any(name == prefix or name.startswith(prefix + ".") for prefix in prefixes)
    ]


def test_whoosh_is_imported_only_by_its_package():
    outside = [p for p in _sources("app", "indexer") if "whoosh_store" not in p.parts]
    assert _importing(outside, ("whoosh",)) == []


def test_no_whoosh_compat():
    assert not [p for p in _sources("app", "indexer") if "whoosh.compat" in _imports(p)]


@pytest.mark.parametrize("forbidden", ["indexer.whoosh_store.writer", "indexer.build", "indexer.parallel", "indexer.pipeline"])
def test_the_app_never_imports_the_writer(forbidden):
    assert [str(p) for p in _sources("app") if forbidden in _imports(p)] == []


def test_routes_never_import_an_engine():
    routes = _sources("app/routes", "app/views") + [PROJECT_ROOT / "app" / name for name in ("main.py", "dependencies.py", "schemas.py", "urls.py")]
    assert _importing(routes, ENGINES) == []


def test_the_service_imports_the_port_never_an_engine():
    service = [PROJECT_ROOT / name for name in SERVICE]
    assert all(p.exists() for p in service)
    assert _importing(service, ENGINES + ("app.search.engines",)) == []
    assert "app.search.port" in _imports(PROJECT_ROOT / "app/search/port_service.py")


def test_the_port_imports_no_engine_and_no_service():
    assert _importing([PROJECT_ROOT / "app/search/port.py"], ENGINES + ("app.search.service", "app.search.port_service")) == []


def test_the_local_searcher_imports_no_engine_and_no_service():
    local = _sources("app/search/local")
    assert (
        _importing(
            local, ("whoosh", "indexer.whoosh_store", "app.search.postgres", "app.search.service", "app.search.port_service", "app.search.engines")
        )
        == []
    )


# ------------------------------------------------------------------------ one-way data flow

PROJECT_PACKAGES = ("app", "indexer", "tests")


def _modules(root: Path, packages: tuple[str, ...]) -> dict[str, Path]:
    """Dotted module name → file, for every module of the packages under ``root``."""
    modules = {}
    for package in packages:
        for path in sorted((root / package).rglob("*.py")):
            parts = path.relative_to(root).with_suffix("").parts
            modules[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return modules


def _runtime_nodes(tree: ast.AST):
    """Every node of a module that can run: all of it but the body of ``if TYPE_CHECKING:``
    (an annotation's import, never executed). Imports inside functions count."""
    pending = [tree]
    while pending:
        node = pending.pop()
        yield node
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            pending.extend(node.orelse)
        else:
            pending.extend(ast.iter_child_nodes(node))


def _project_imports(name: str, path: Path, modules: dict[str, Path]) -> set[str]:
    """The project modules ``name`` imports, wherever the import statement stands."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    imported = set()
    for node in _runtime_nodes(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            imported |= {alias.name for alias in node.names if alias.name in modules}
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:  # from . import x / from ..y import z
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            for alias in node.names:
                # `from indexer.readers import doc` imports the module indexer.readers.doc
                if f"{base}.{alias.name}" in modules:
                    imported.add(f"{base}.{alias.name}")
                elif base in modules:
                    imported.add(base)
    return imported - {name}


def import_graph(root: Path = PROJECT_ROOT, packages: tuple[str, ...] = PROJECT_PACKAGES) -> dict[str, set[str]]:
    modules = _modules(root, packages)
    return {name: _project_imports(name, path, modules) for name, path in modules.items()}


def import_cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """One cycle (a → b → … → a) for every group of modules that import each other."""
    order: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    groups: list[set[str]] = []

    def visit(module: str) -> None:  # Tarjan's strongly connected components
        order[module] = low[module] = len(order)
        stack.append(module)
        for other in sorted(graph[module]):
            if other not in order:
                visit(other)
                low[module] = min(low[module], low[other])
            elif other in stack:
                low[module] = min(low[module], order[other])
        if low[module] == order[module]:
            group = {stack.pop()}
            while module not in group:
                group.add(stack.pop())
            if len(group) > 1:
                groups.append(group)

    for module in sorted(graph):
        if module not in order:
            visit(module)
    cycles = []
    for group in groups:
        start = min(group)
        came_from = {start: ""}
        queue = deque([start])
        while queue:  # the shortest way from start back to start inside the group
            module = queue.popleft()
            if module != start and start in graph[module]:
                path = [module]
                while came_from[path[-1]]:
                    path.append(came_from[path[-1]])
                cycles.append([*reversed(path), start])
                break
            for other in sorted(graph[module] & group):
                if other not in came_from:
                    came_from[other] = module
                    queue.append(other)
    return sorted(cycles)


def test_no_import_cycles():
    assert [" → ".join(cycle) for cycle in import_cycles(import_graph())] == []


def test_no_router_imports_from_another_router():
    graph = import_graph()
    routers = {name for name in graph if name.startswith("app.routes.")}
    assert {name: sorted(graph[name] & routers) for name in sorted(routers) if graph[name] & routers} == {}


def test_the_cycle_check_sees_imports_inside_functions_and_relative_imports(tmp_path):
    package = tmp_path / "pkg"
    (package / "sub").mkdir(parents=True)
    for path, text in {
        "__init__.py": "",
        "a.py": "def later():\n    from pkg.sub import b\n",
        "sub/__init__.py": "",
        "sub/b.py": "from ..c import thing\n",
        "c.py": "import pkg.a\nthing = 1\n",
        "d.py": "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from pkg import e\n",
        "e.py": "from pkg import d\n",
    }.items():
        (package / path).write_text(text)
    graph = import_graph(tmp_path, ("pkg",))
    assert graph["pkg.a"] == {"pkg.sub.b"} and graph["pkg.sub.b"] == {"pkg.c"} and graph["pkg.d"] == set()
    assert import_cycles(graph) == [["pkg.a", "pkg.sub.b", "pkg.c", "pkg.a"]]

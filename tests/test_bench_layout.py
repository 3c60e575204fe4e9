"""bench/ has no import circle: shared helpers below the cases, the cases below
the runner (the layers are listed in bench/__init__.py).

Every import between bench's modules counts, at module level and inside
functions alike (a function-level import closes a circle as surely when it
runs), except those under ``if TYPE_CHECKING:``.  Unlike the package's own
check (tests/test_layout.py), a pair of modules importing each other is a
circle too.
"""

import ast
from pathlib import Path

PACKAGE = "bench"
ROOT = Path(__file__).resolve().parent.parent / PACKAGE


def module_name(path: Path, root: Path = ROOT) -> str:
    parts = path.relative_to(root.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def is_type_checking(node: ast.AST) -> bool:
    if not isinstance(node, ast.If):
        return False
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


def imported_modules(name: str, is_package: bool, tree: ast.AST, known: set) -> set:
    """The bench modules a module's source imports (outside TYPE_CHECKING blocks)."""
    found = set()

    def visit(node: ast.AST) -> None:
        for child in ast.iter_child_nodes(node):
            if is_type_checking(child):
                for statement in child.orelse:
                    visit_one(statement)
            else:
                visit_one(child)

    def visit_one(node: ast.AST) -> None:
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names if alias.name in known)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = name.split(".") if is_package else name.split(".")[:-1]
                anchor = anchor[:len(anchor) - (node.level - 1)]
                base = ".".join(anchor + ([base] if base else []))
            for alias in node.names:
                # "from bench import cases" names a module, "from bench.cases import x" too.
                target = f"{base}.{alias.name}"
                found.add(target if target in known else base)
        else:
            visit(node)

    visit(tree)
    return {target for target in found if target in known and target != name}


def import_graph(root: Path = ROOT) -> dict:
    paths = {module_name(path, root): path for path in sorted(root.rglob("*.py"))}
    return {name: imported_modules(name, path.name == "__init__.py",
                                   ast.parse(path.read_text(encoding="utf-8"), str(path)),
                                   set(paths))
            for name, path in paths.items()}


def find_cycle(graph: dict) -> list | None:
    """One import circle as ``[a, b, ..., a]``, or None."""
    state = {}  # name -> "open" while on the path, "done" once explored

    def explore(node: str, path: list) -> list | None:
        state[node] = "open"
        for successor in sorted(graph.get(node, ())):
            if state.get(successor) == "open":
                return [*path[path.index(successor):], successor]
            if successor not in state:
                found = explore(successor, [*path, successor])
                if found:
                    return found
        state[node] = "done"
        return None

    for start in sorted(graph):
        if start not in state:
            found = explore(start, [start])
            if found:
                return found
    return None


def test_bench_has_no_import_cycle():
    graph = import_graph()
    assert "bench.runner" in graph and "bench.latency" in graph["bench.runner"]
    cycle = find_cycle(graph)
    assert cycle is None, "import circle in bench/: " + " -> ".join(cycle)


def test_the_cases_sit_below_the_runner_and_the_helpers_below_the_cases():
    graph = import_graph()
    for case in ("bench.cases", "bench.latency", "bench.scale"):
        assert not graph[case] & {"bench.runner", "bench.worker"}, case
    for helper in ("bench.common", "bench.prepare", "bench.axes"):
        assert not graph[helper], f"{helper} imports {graph[helper]}"
    assert graph["bench.taskworkers"] == {"bench.common"}
    assert "bench.report" not in graph["bench.scaleplot"]


# -- the check itself, on made-up modules ------------------------------------------
def test_a_pair_importing_each_other_inside_functions_is_a_cycle(tmp_path):
    package = tmp_path / PACKAGE
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "runner.py").write_text("from bench import case\n")
    (package / "case.py").write_text("def f():\n    from bench.runner import ROOT\n")
    (package / "helper.py").write_text(
        "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from bench import runner\n")
    graph = import_graph(package)
    assert graph["bench.helper"] == set()  # annotations only
    assert find_cycle(graph) == ["bench.case", "bench.runner", "bench.case"]


def test_relative_imports_and_layers_without_a_cycle():
    graph = {"a": {"b", "c"}, "b": {"c"}, "c": set()}
    assert find_cycle(graph) is None
    assert find_cycle({**graph, "c": {"a"}}) == ["a", "b", "c", "a"]
    tree = ast.parse("from . import common\nfrom .taskworkers import Pool\n")
    assert imported_modules("bench.scale", False, tree,
                            {"bench.common", "bench.taskworkers", "bench.scale"}) == {
        "bench.common", "bench.taskworkers"}
